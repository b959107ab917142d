"""The rules reference page (``docs/rules.md``), generated from the loaded rules."""

from __future__ import annotations

from .loader import BUILTIN_DIR, RuleSet

_INTRO = """\
# Rules reference

Generated from the rule files of `queries/` by `analyzer rules doc > docs/rules.md`;
do not edit by hand (a test checks that this page matches the rules).

Every rule is one SQL file with a metadata header. It runs over the canonical tables
of a case, after the shared derived state of `queries/_derived.sql` (effective
generation per endpoint, live-plan deletions, empty intervals, clock-skew bounds), and
returns findings in the output contract of `findings.md`: `rule`, `severity`, `start`,
`end`, `endpoint`, `generation`, `host`, `summary`, `details`, `evidence`. Every
finding's `details.order_uncertain` says whether its conclusion rests on an order of
events on two hosts closer together than their clock uncertainty.

Parameters are set with `analyzer detect --param RULE.NAME=VALUE` or a `--config`
file (TOML or JSON, one table per rule), or `Case.findings(params={...})`.

| id | severity | title |
| --- | --- | --- |
"""


def rules_markdown(ruleset: RuleSet) -> str:
    """The reference page: a summary table, then one section per rule."""
    rules = sorted(ruleset.rules.values(), key=lambda r: r.id)
    out = [_INTRO]
    out += [f"| [`{r.id}`](#{r.id}) | {r.severity} | {r.title} |\n" for r in rules]
    for r in rules:
        try:
            where = r.path.relative_to(BUILTIN_DIR.parent).as_posix()
        except ValueError:
            where = r.path.name
        out.append(f"\n## {r.id}\n\n**{r.title}** · severity `{r.severity}` · `{where}`\n\n")
        out.append(f"{r.description}\n\n")
        if r.notes:
            notes = r.notes.removeprefix("Logic:").strip()
            out.append(f"How it decides: {notes}\n\n")
        out.append(f"Tables: {', '.join(f'`{t}`' for t in r.tables)}.\n")
        if r.params:
            out.append("\n| parameter | default | meaning |\n| --- | --- | --- |\n")
            out += [f"| `{p.name}` | `{p.default!r}` | {p.doc} |\n" for p in r.params]
    return "".join(out)
