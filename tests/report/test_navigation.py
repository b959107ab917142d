"""A report you can navigate: contents, links that land, figures beside their story,
times in one zone, gaps by what they leave unexplained, pages that print and read on a
phone (structure; ``scripts/screenshot-report.sh`` shows them in a browser)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from analyzer import build_report
from analyzer.report import figure_data, figures
from analyzer.report.figures import tick_format
from analyzer.report.navigation import SECTIONS, localize, ordered_gaps
from analyzer.report.render_html import render_html
from analyzer.report.render_markdown import render_markdown
from tests.conftest import REPO

FIGS = ("swimlane", "generations", "dns_ratio")
RFC3339_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href", "").startswith("#"):
            self.hrefs.append(a["href"][1:])


@pytest.fixture(scope="module")
def report(hand_case, hand_findings):
    return build_report(hand_case, hand_findings, tz="America/Los_Angeles")


@pytest.fixture(scope="module")
def page(report):
    return render_html(report, figures={n: b"\x89PNG" for n in FIGS})


@pytest.fixture(scope="module")
def text(report):
    return render_markdown(report, figures={n: f"figures/{n}.png" for n in FIGS})


def test_every_link_in_the_page_lands(page, report):
    links = _Links()
    links.feed(page)
    assert [a for a, _ in SECTIONS if a not in links.ids] == []
    assert set(links.hrefs) - links.ids == set()
    for f in report.findings:  # the glance table links to every finding
        assert f"f-{f['id']}" in links.hrefs and f"f-{f['id']}" in links.ids


def test_timeline_evidence_links_to_the_block_quoting_it(page, report):
    rows = page.split('<h2 id="timeline">')[1].split("</table>")[0].split("<tr")[2:]
    assert len(rows) == len(report.timeline)
    quoted: dict[tuple[str, int], str] = {}
    for f in report.findings:  # the first finding quoting a line holds its block
        for e in f["evidence"]:
            quoted.setdefault((e["file"], e["line"]), f["id"])
    checked = 0
    for row, event in zip(rows, report.timeline, strict=True):
        for e in event["evidence"]:
            fid = quoted.get((e["file"], e["line"]))
            if fid:
                assert f'href="#ev-{fid}"><code' in row
                block = page.split(f'<pre id="ev-{fid}">')[1].split("</pre>")[0]
                assert f"{e['file']}:{e['line']}" in block
                checked += 1
    assert checked >= len(report.timeline) // 2


def test_markdown_contents_anchors_and_links(text, report):
    for anchor, title in SECTIONS:
        assert f"[{title}](#{anchor})" in text and f"\n## {title}\n" in text
    for f in report.findings:
        assert f'<a id="f-{f["id"]}"></a>' in text and f"(#f-{f['id']})" in text
    for target in re.findall(r"\]\(#(f-[0-9a-f]+)\)", text):
        assert f'<a id="{target}"></a>' in text


def test_figures_sit_next_to_their_story(page, text):
    for doc, marks in (
        (
            page,
            [
                'id="impact"',
                'alt="generations"',
                'alt="dns_ratio"',
                'id="timeline"',
                'alt="swimlane"',
                'id="root-cause-gaps"',
            ],
        ),
        (
            text,
            [
                "### Impact",
                "figures/generations.png",
                "figures/dns_ratio.png",
                "## Timeline",
                "figures/swimlane.png",
                "## Root-cause gaps",
            ],
        ),
    ):
        at = [doc.index(m) for m in marks]
        assert at == sorted(at), marks
    assert "## Figures" not in text and "<h2>Figures" not in page


def test_every_time_a_person_reads_is_in_the_chosen_zone(sample):
    case, found = sample
    report = build_report(case, found, tz="America/Los_Angeles")
    text, page = render_markdown(report), render_html(report)
    prose = re.sub(r"```.*?```", "", text, flags=re.S)  # quoted log lines keep their text
    assert RFC3339_Z.findall(prose) == []
    assert any(RFC3339_Z.search(f["summary"] or "") for f in report.to_dict()["findings"])
    visible = re.sub(r"<pre.*?</pre>|title=\"[^\"]*\"", "", page, flags=re.S)
    assert RFC3339_Z.findall(visible) == []


def test_localize():
    assert localize(
        "at 2025-10-20T06:48:00.512Z and 2025-10-20T07:00:00Z", "America/Los_Angeles"
    ) == ("at 2025-10-19 23:48:00.512 PDT and 2025-10-20 00:00:00 PDT")
    assert localize(None, "UTC") == ""


def _gap(kind, importance, unexplained=None, duration=None, span=None):
    start = "2025-10-20T06:00:00Z"
    end = (
        (dt.datetime(2025, 10, 20, 6, tzinfo=dt.UTC) + dt.timedelta(seconds=span)).isoformat()
        if span
        else None
    )
    numbers = {}
    if duration is not None:
        numbers = {
            "duration_s": duration,
            "unexplained_s": unexplained,
            "accounted_s": duration - unexplained,
        }
    return {
        "kind": kind,
        "importance": importance,
        "start": start,
        "end": end,
        "numbers": numbers,
        "statement": kind,
        "missing": "",
        "evidence": [],
        "host": "h1",
        "endpoint": None,
        "generation": 7,
    }


def test_gaps_by_what_they_leave_unexplained_and_explained_ones_in_a_line(report):
    gaps = [
        _gap("stall_delay", "note", unexplained=0.369, duration=331.8),  # fully explained
        _gap("silent_host", "note", span=60),
        _gap("stall_delay", "high", unexplained=395.0, duration=451.0),
        _gap("missing_plan", "high"),
        _gap("silent_host", "high", span=437),
    ]
    unexplained, explained = ordered_gaps(gaps)
    assert [(g["kind"], g["importance"]) for g in unexplained] == [
        ("silent_host", "high"),
        ("stall_delay", "high"),
        ("missing_plan", "high"),
        ("silent_host", "note"),
    ]
    assert explained == [gaps[0]]
    report.gaps, saved = gaps, report.gaps
    try:
        md, html = render_markdown(report), render_html(report)
    finally:
        report.gaps = saved
    section = md.split("## Root-cause gaps")[1].split("## Findings")[0]
    line = (
        "- stall delay (h1 generation 7): fully explained by the logs, 5m 31s of 5m 32s "
        "accounted for (0.369 s left)."
    )
    assert "Fully explained:" in section and line in section
    assert section.count("stall delay") == 2  # one full entry, one line
    assert "fully explained by the logs" in html


def test_tick_labels_carry_the_date_when_the_range_crosses_a_day():
    a, b = (
        dt.datetime(2025, 10, 20, 6, 40, tzinfo=dt.UTC),
        dt.datetime(2025, 10, 20, 9, 35, tzinfo=dt.UTC),
    )
    assert tick_format(a, b, "UTC") == "%H:%M"
    assert tick_format(a, b, "America/Los_Angeles") == "%m-%d %H:%M"  # 23:40 PDT to 02:35 PDT
    assert tick_format(a, a + dt.timedelta(minutes=5), "UTC", seconds=True) == "%H:%M:%S"


def test_the_sample_figure_ticks_name_the_days(sample):
    case, found = sample
    fig = figures.draw_dns_ratio(figure_data.dns_ratio_data(case, found), tz="America/Los_Angeles")
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all(re.fullmatch(r"10-(19|20) \d\d:\d\d", t) for t in labels)
    assert "2025-10-19 to 2025-10-20" in ax.get_xlabel()


def test_the_page_prints_and_reads_on_a_phone(page):
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    css = page.split("<style>")[1].split("</style>")[0]
    printing = css.split("@media print")[1]
    assert "pre { white-space: pre-wrap;" in printing and "break-all" in printing  # lines not cut
    assert ".scroll { overflow: visible; }" in printing  # wide tables not clipped on paper
    assert "break-inside: avoid" in printing
    phone = css.split("@media (max-width: 700px)")[1].split("@media print")[0]
    assert "display: block" in phone and "attr(data-label)" in phone  # rows become cards
    assert "white-space: pre-wrap" in css.split("@media")[0]  # on screen too
    impact = page.split('<h3 id="impact">Impact</h3>')[1]
    assert impact.startswith('<div class="scroll"><table>')
    assert 'data-label="Client impact"' in impact.split("</table>")[0]
    assert "max-height" not in css and "700px;" not in css.replace("max-width: 700px", "")


def test_the_screenshot_script_is_documented():
    script = REPO / "scripts" / "screenshot-report.sh"
    assert script.stat().st_mode & 0o111
    body = script.read_text()
    assert '--window-size="$2,$3"' in body and "--print-to-pdf" in body
    assert "shoot phone 390" in body and "shoot laptop 1366" in body
    assert "scripts/screenshot-report.sh" in (REPO / "docs" / "report.md").read_text()
