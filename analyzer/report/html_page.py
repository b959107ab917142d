"""The skeleton of the HTML report: head, style sheet and the slots the sections fill
(``$title``, ``$version``, ``$meta``, ``$body``), as a ``string.Template`` (``render_html``
escapes every value it puts there)."""

from __future__ import annotations

from string import Template

PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="plan-forensics $version">
<title>$title</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a;
       max-width: 1180px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { border-bottom: 1px solid #ddd;
     padding-bottom: .2em; margin-top: 2em; } h4 { margin-bottom: .4em; }
.meta { color: #555; } .summary { font-size: 1.08em; background: #f6f8fa;
        padding: .8em 1em; border-left: 4px solid #b2182b; }
table { border-collapse: collapse; width: 100%; margin: .6em 0 1.2em; font-size: .92em; }
th, td { border: 1px solid #ddd; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } tr.trigger td:first-child { border-left: 4px solid #b2182b; }
tr.impact td:first-child { border-left: 4px solid #ef8a62; }
tr.detection-and-mitigation td:first-child { border-left: 4px solid #4393c3; }
tr.recovery td:first-child { border-left: 4px solid #1b7837; }
code, pre { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; padding: .6em; white-space: pre-wrap; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; } td { overflow-wrap: break-word; } .sev { white-space: nowrap; }
nav.toc { background: #f6f8fa; padding: .4em 1em; } nav.toc li { display: inline; }
nav.toc li + li::before { content: " · "; color: #888; }
a { color: #1f5fa8; } h2[id], h3[id], .finding, pre[id] { scroll-margin-top: .5em; }
.sev { display: inline-block; padding: 0 .5em; border-radius: 3px; color: #fff;
       font-size: .85em; font-weight: 600; }
.critical { background: #b2182b; } .high { background: #d6604d; } .medium { background: #7f7f7f; }
.low { background: #bdbdbd; color: #222; } .info { background: #d9d9d9; color: #222; }
.note { color: #555; } .missing { color: #8a1c1c; } figure { margin: 1em 0; }
figure img { max-width: 100%; border: 1px solid #eee; } figcaption { color: #555; }
ol.proof { margin-top: .2em; } .finding { margin-bottom: 1.6em; }
@media (max-width: 700px) {
  body { font-size: 14px; margin: 1em auto; padding: 0 .6em; }
  pre { font-size: 11px; }
  /* a phone shows each row as a card: one labelled line per cell */
  .scroll table, .scroll tbody, .scroll tr, .scroll td { display: block; width: auto; }
  .scroll thead { display: none; } .scroll tr { border: 1px solid #ddd; margin-bottom: .6em; }
  .scroll td { border: none; border-top: 1px solid #eee; overflow-wrap: anywhere; }
  .scroll td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
}
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  .scroll { overflow: visible; } table { font-size: 8.5pt; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-all; font-size: 8pt; }
  tr, figure, .finding h4 { break-inside: avoid; } h2, h3, h4 { break-after: avoid; }
  a { color: inherit; text-decoration: none; } nav.toc { display: none; }
}
</style>
</head>
<body>
<h1>$title</h1>
<p class="meta">$meta</p>
$body
</body>
</html>
"""
)
