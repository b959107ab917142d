"""The figures: the data each one draws, that they render, and that matplotlib stays lazy."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import polars as pl
import pytest

from analyzer.report import figure_data

from .conftest import ENDPOINT

UTC = dt.UTC
AZ1, AZ4 = "dns-enactor-use1-az1", "dns-enactor-use1-az4"


def t(h: int, m: int, s: float = 0) -> dt.datetime:
    return dt.datetime(2025, 10, 20, h, m, tzinfo=UTC) + dt.timedelta(seconds=s)


@pytest.fixture(scope="module")
def swim(hand_case, hand_findings):
    return figure_data.swimlane_data(hand_case, hand_findings)


def test_swimlane_lanes_and_spans(swim):
    assert swim["lanes"]["lane"].to_list() == [
        "dns-planner-1",
        AZ1,
        "dns-enactor-use1-az2",
        AZ4,
        "operator oncall-ana",
    ]
    stalled = swim["applies"].filter((pl.col("lane") == AZ4) & (pl.col("generation") == 100))
    assert stalled.row(0, named=True)["start"] == t(6, 40, 0.51)
    assert stalled.row(0, named=True)["end"] == t(6, 47, 31.4)
    assert swim["stalls"].select("lane", "start", "end").rows() == [
        (AZ4, t(6, 40, 0.5), t(6, 47, 31.4))
    ]
    failed = swim["applies"].filter(pl.col("failed"))
    assert failed.height == 12 and failed["start"].min() > t(6, 47, 31.512)
    live = swim["cleanups"].filter(pl.col("live"))
    assert live.select("lane", "ts", "generation").rows() == [(AZ1, t(6, 47, 31.512), 100)]
    assert swim["operator"]["action"].to_list() == [
        "disable_automation",
        "restore_endpoint",
        "enable_automation",
    ]


def test_the_close_up_spans_the_stall_and_the_trigger(swim):
    start, end = swim["zoom"].row(0)
    assert start < t(6, 40, 0.5) and t(6, 47, 31.512) < end < t(6, 49)
    w_start, w_end = swim["window"].row(0)
    assert w_start < start and w_end > t(6, 58, 30)  # the late enable_automation is shown


def test_generation_data(hand_case, hand_findings):
    data = figure_data.generation_data(hand_case, hand_findings)
    assert data["endpoints"]["endpoint"].to_list() == [ENDPOINT]
    steps = data["steps"].filter(pl.col("ts").is_between(t(6, 47, 31), t(6, 54)))
    assert steps.select("ts", "generation", "source").rows() == [
        (t(6, 47, 31.1), 115, "update"),
        (t(6, 47, 31.3), 100, "update"),
        (t(6, 53), 118, "restore"),
    ]
    assert data["empty"].select("start", "end").rows() == [(t(6, 47, 31.512), t(6, 53))]
    assert data["overwrites"].select("generation", "previous").rows() == [(100, 115)]
    assert data["newest"]["generation"].is_sorted()


def test_dns_ratio_per_minute(hand_case, hand_findings):
    data = figure_data.dns_ratio_data(hand_case, hand_findings)
    ratio = {(r["qname"], r["minute"]): r for r in data["ratio"].to_dicts()}
    assert ratio[(ENDPOINT, t(6, 46))]["ratio"] == 0
    assert ratio[(ENDPOINT, t(6, 50))]["ratio"] == 1
    assert (ratio[(ENDPOINT, t(6, 50))]["failed"], ratio[(ENDPOINT, t(6, 50))]["total"]) == (9, 9)
    s3 = ratio[("s3.us-east-1.amazonaws.com", t(6, 55))]
    assert (s3["failed"], s3["total"]) == (2, 6)
    assert data["windows"]["severity"].to_list() == ["critical", "high"]


def test_figures_render_with_zone_labels(hand_case, hand_findings):
    from analyzer.report import figures

    figs = figures.render_figures(hand_case, hand_findings, tz="America/Los_Angeles")
    assert set(figs) == {"swimlane", "generations", "dns_ratio"}
    assert len(figs["swimlane"].axes) == 2  # overview and close-up
    for fig in figs.values():
        assert "America/Los_Angeles" in fig.axes[-1].get_xlabel()
        png = figures.to_png(fig)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    ticks = [t.get_text() for t in figs["swimlane"].axes[1].get_xticklabels()]
    assert any(tick.startswith("23:4") for tick in ticks)  # PDT, not UTC (06:4x)
    assert figures.to_svg(figs["dns_ratio"]).lstrip().startswith("<?xml")


def test_figures_of_an_empty_case(hand_case):
    from analyzer.report import figures

    figs = figures.render_figures(hand_case, [])
    assert figures.to_png(figs["dns_ratio"])[:4] == b"\x89PNG"


def test_importing_the_library_does_not_import_matplotlib():
    code = (
        "import sys, analyzer, analyzer.report, analyzer.audit\n"
        "bad = [m for m in ('matplotlib', 'click') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
