"""Rendering: log text stays text (HTML and Markdown), the page needs no network."""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser

import pytest

from analyzer import build_report
from analyzer.report.render_html import render_html
from analyzer.report.render_markdown import code, fenced, md, render_markdown
from analyzer.report.writer import report_json

HOSTILE = {
    "rule": "my_rule",
    "severity": "critical",
    "start": "2025-10-20T06:50:00Z",
    "end": None,
    "endpoint": 'evil"><img src=x onerror=alert(1)>.example.com',
    "generation": None,
    "host": "h`ost|x",
    "summary": "<img src=x onerror=alert(2)> and </table> and [link](javascript:alert(3))",
    "details": {"note": "<script>alert(4)</script>"},
    "evidence": [{"file": "operator/actions.jsonl", "line": 1}],
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def report(hand_case, hand_findings):
    return build_report(
        hand_case,
        [*hand_findings, HOSTILE],
        tz="America/Los_Angeles",
        now=dt.datetime(2025, 10, 21, tzinfo=dt.UTC),
    )


def test_html_keeps_log_text_as_text(report):
    page = render_html(report, figures={"swimlane": b"\x89PNG fake"})
    parser = _Tags()
    parser.feed(page)
    tags = {t for t, _ in parser.tags}
    assert "script" not in tags and "<script" not in page.lower()
    assert not [a for t, a in parser.tags if t == "img" and "onerror" in a]
    # the operator's note (quoted line and timeline sentence) and the hostile finding
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;/table&gt;" in page
    # attributes: a quoted line in a tooltip cannot break out of its title
    titles = [a["title"] for t, a in parser.tags if t == "code" and a.get("title")]
    assert any("<script>alert('x')</script>" in title for title in titles)


def test_html_is_self_contained(report):
    page = render_html(report, figures={"swimlane": b"\x89PNG fake"})
    parser = _Tags()
    parser.feed(page)
    for tag, attrs in parser.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            inline = value is None or value.startswith(("data:image/png;base64,", "#"))
            assert inline, (tag, attrs)  # an embedded figure or a link within the page
    assert "<link" not in page and "@import" not in page


def test_markdown_keeps_log_text_as_text(report):
    text = render_markdown(report)
    prose, in_fence = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        if not in_fence:
            prose.append(line)
    outside = "\n".join(prose)
    assert "<script" not in outside and "<img" not in outside and "</table" not in outside
    assert "&lt;script>alert('x')&lt;/script>" in outside  # readable, inert
    assert "\\[link\\](javascript:alert(3))" in outside
    assert "h\\`ost\\|x" in outside  # cannot end a code span or a table cell


def test_markdown_helpers():
    assert md("a < b & c") == "a < b & c"  # not a tag, not an entity: left readable
    assert md("<b>x</b> &amp;") == "&lt;b>x&lt;/b> &amp;amp;"
    assert md("two\nlines|pipe") == "two lines\\|pipe"
    assert code("has ` tick") == "``has ` tick``"
    assert fenced(["x ``` y"]).startswith("````text\n")


def test_json_is_the_report(report):
    data = json.loads(report_json(report))
    assert data["report_version"] == 1
    assert data["trigger"] == "2025-10-20T06:47:31.512Z"
    assert [f["severity"] for f in data["findings"]][:4] == ["critical"] * 4
    hostile = next(f for f in data["findings"] if f["rule"] == "my_rule")
    assert hostile["summary"] == HOSTILE["summary"]  # JSON carries the text as it was
    assert hostile["evidence"][0]["text"].startswith('{"ts":"2025-10-20T06:50:00.000Z"')
