"""Strict values through profiles: integers are integers, times are possible times."""

from __future__ import annotations

import pytest

from analyzer import open_case

PLANNER = """
id = "p"
role = "planner"
format = "json"
detect = '"svc":"planner"'
time_format = "epoch_ms"

[fields]
ts = "t"
generation = "rev"
event = "what"

[plan]
endpoints = "targets"
name = "fqdn"
lbs = "n"
"""
ENACTOR = """
id = "e"
role = "enactor"
format = "logfmt"
detect = '^at='
time_format = "%Y-%m-%d %H:%M:%S %z"

[fields]
ts = "at"
"""


def plan(t: str, rev: str, n: str = "2") -> str:
    """A Planner line, its values written as given (JSON text)."""
    return (
        f'{{"svc":"planner","t":{t},"rev":{rev},"what":"plan_created",'
        f'"targets":[{{"fqdn":"a.example.com","n":{n}}}]}}'
    )


def ingest(tmp_path, toml: str, name: str, lines: list[str]):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "p.toml").write_text(toml)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / name).write_text("\n".join(lines) + "\n")
    case = open_case()
    res = case.ingest(tmp_path / "logs", profiles=[tmp_path / "profiles"])[0]
    assert res.lines == res.loaded + res.quarantined
    reasons = dict(case.sql("SELECT line, reason FROM quarantine ORDER BY line").rows())
    return case, res, reasons


@pytest.mark.parametrize(
    ("rev", "shown"),
    [("118234.6", "118234.6"), ("true", "true"), ('"0x10"', "0x10"), ("1e3", "1000.0")],
)
def test_a_generation_that_is_not_an_integer_is_quarantined(tmp_path, rev, shown):
    lines = [plan("1760942910000", "118233"), plan("1760942911000", rev)]
    case, res, reasons = ingest(tmp_path, PLANNER, "p.jsonl", lines)
    assert (res.source, res.loaded, res.quarantined) == ("p", 1, 1)
    assert reasons == {2: f"profile p: generation is not an integer: {shown}"}
    assert case.sql("SELECT generation FROM plans").rows() == [(118233,)]


def test_an_endpoint_count_that_is_not_an_integer_is_quarantined(tmp_path):
    lines = [plan("1760942910000", "7"), plan("1760942911000", "8", n="4.5")]
    case, _, reasons = ingest(tmp_path, PLANNER, "p.jsonl", lines)
    assert reasons == {2: "profile p: an endpoint's lbs is not an integer"}
    assert case.sql("SELECT generation, lbs FROM plans").rows() == [(7, 2)]


@pytest.mark.parametrize(
    ("t", "shown"),
    [("1e20", "100000000000000000000.0"), ('"NaN"', "NaN"), ("-1", "-1"),
     ("7258118400000", "7258118400000"), ('"1e400"', "1e400")],
)  # fmt: skip
def test_an_epoch_out_of_range_is_quarantined(tmp_path, t, shown):
    lines = [plan("1760942910000", "7"), plan(t, "8")]
    _, res, reasons = ingest(tmp_path, PLANNER, "p.jsonl", lines)
    assert (res.loaded, res.quarantined) == (1, 1)
    assert reasons == {2: f"profile p: unparseable time (time_format epoch_ms): {shown}"}


@pytest.mark.parametrize(
    "at", ["0001-01-01 00:00:00 +0000", "2200-01-01 00:00:00 +0000", "2025-10-20 06:48:31 +2500"]
)
def test_a_strptime_time_out_of_range_or_with_an_impossible_offset_is_quarantined(tmp_path, at):
    good = 'at="2025-10-20 06:48:30 -1400" host=e1 event=lock_acquire endpoint=a status=ok'
    bad = good.replace("2025-10-20 06:48:30 -1400", at)
    attempt = 'at="2025-10-20 06:48:32 +0545" host=e1 event=endpoint_update generation=5 ' + (
        "endpoint=a status=ok attempt=1.5"
    )
    case, res, reasons = ingest(tmp_path, ENACTOR, "e.log", [good, bad, attempt])
    assert (res.source, res.loaded, res.quarantined) == ("e", 1, 2)
    assert reasons == {
        2: f"profile e: unparseable time (time_format %Y-%m-%d %H:%M:%S %z): {at}",
        3: "profile e: attempt is not an integer: 1.5",
    }
    assert case.sql("SELECT line, year(ts) FROM enactor_events").rows() == [(1, 2025)]
