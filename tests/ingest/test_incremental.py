"""Incremental, idempotent ingest: re-ingest, append-only growth, changed files, crashes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analyzer import open_case
from analyzer.ingest.pipeline import Ingestor

LINE = (
    '{{"query_timestamp":"2025-10-20T06:48:{s:02d}Z","query_name":"n{i}.example.com.",'
    '"query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[],"srcaddr":"10.0.0.5",'
    '"srcport":"1","transport":"UDP","vpc_id":"vpc-1"}}\n'
)


def lines(start: int, n: int) -> str:
    return "".join(LINE.format(s=i % 60, i=i) for i in range(start, start + n))


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    d = tmp_path / "logs"
    d.mkdir()
    (d / "r.jsonl").write_text(lines(0, 10))
    return d


def count(case) -> int:
    return case.sql("SELECT count(*) AS n FROM dns_queries")["n"][0]


def test_reingest_loads_nothing_new(logs, tmp_path):
    db = tmp_path / "case.duckdb"
    with open_case(db) as case:
        assert case.ingest(logs)[0].status == "loaded"
    with open_case(db) as case:
        res = case.ingest(logs)
        assert [r.status for r in res] == ["unchanged"]
        assert (res[0].lines, res[0].loaded) == (10, 10)
        assert count(case) == 10


def test_what_was_said_of_earlier_lines_survives_an_append(logs):
    (logs / "r.jsonl").write_text(lines(0, 2).replace('Z"', '"'))  # no zone
    case = open_case()
    first = case.ingest(logs)[0]
    assert "2 timestamps had no zone" in first.message
    with (logs / "r.jsonl").open("a") as fh:
        fh.write(lines(2, 3))
    again = case.ingest(logs)[0]
    assert again.status == "appended" and "2 timestamps had no zone" in again.message
    assert case.ingest(logs)[0].message == again.message  # unchanged: still said


def test_appended_lines_load_alone_and_keep_their_numbers(logs):
    case = open_case()
    case.ingest(logs)
    with (logs / "r.jsonl").open("a") as fh:
        fh.write(lines(10, 5))
    res = case.ingest(logs)[0]
    assert res.status == "appended"
    assert (res.lines, res.loaded, res.quarantined) == (15, 15, 0)
    assert count(case) == 15
    got = case.sql("SELECT line, qname FROM dns_queries ORDER BY line").rows()
    assert got == [(i + 1, f"n{i}.example.com") for i in range(15)]
    row = case.sql("SELECT lines, loaded, quarantined FROM files").row(0)
    assert row == (15, 15, 0)


def test_changed_earlier_content_is_reported_not_mixed(logs):
    """An edit past the identity prefix (4 KiB: one before it makes a new file, see
    test_rotation) is a change of the loaded lines."""
    (logs / "r.jsonl").write_text(lines(0, 40))
    case = open_case()
    case.ingest(logs)
    text = (logs / "r.jsonl").read_text().replace("n33.example", "n33.evil")
    (logs / "r.jsonl").write_text(text + lines(10, 2))
    res = case.ingest(logs)[0]
    assert res.status == "changed"
    assert "earlier lines differ" in res.message
    assert count(case) == 40
    assert case.sql("SELECT count(*) AS n FROM dns_queries WHERE qname LIKE '%evil%'")["n"][0] == 0
    assert case.sql("SELECT status FROM files")["status"][0] == "changed"


def test_incomplete_last_line_loads_once_complete(logs):
    (logs / "r.jsonl").write_text(lines(0, 3)[:-40])  # the writer is mid-line
    case = open_case()
    assert case.ingest(logs)[0].loaded == 2
    with (logs / "r.jsonl").open("a") as fh:
        fh.write(lines(0, 3)[-40:-1])
    with (logs / "r.jsonl").open("a") as fh:
        fh.write("\n" + lines(3, 1))
    res = case.ingest(logs)[0]
    assert (res.status, res.lines, res.loaded) == ("appended", 4, 4)
    assert "no line end" not in (res.message or "")
    assert count(case) == 4


def test_touched_but_identical_file_loads_nothing(logs):
    case = open_case()
    case.ingest(logs)
    st = (logs / "r.jsonl").stat()
    os.utime(logs / "r.jsonl", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    res = case.ingest(logs)[0]
    assert res.status == "appended" and res.loaded == 10
    assert count(case) == 10


def test_interrupted_ingest_leaves_the_case_consistent(logs, tmp_path, monkeypatch):
    (logs / "r.jsonl").write_text(lines(0, 2000))  # too big to load in a batch
    (logs / "s.jsonl").write_text(lines(3000, 5))
    db = tmp_path / "case.duckdb"
    calls = {"n": 0}
    real_load_chunk = Ingestor._load_chunk

    def failing_load_chunk(self, ctx, source, table):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("injected failure mid-file")
        return real_load_chunk(self, ctx, source, table)

    monkeypatch.setattr(Ingestor, "_load_chunk", failing_load_chunk)
    with open_case(db) as case, pytest.raises(KeyboardInterrupt):
        case.ingest(logs, chunk_bytes=2_000)  # many statements in r.jsonl
    monkeypatch.undo()
    with open_case(db) as case:
        # nothing of the interrupted file is in the case: not rows, not quarantine, not files
        assert count(case) == 0
        assert case.sql("SELECT count(*) AS n FROM files")["n"][0] == 0
        res = {r.file: r for r in case.ingest(logs)}
        assert res["r.jsonl"].status == "loaded" and res["r.jsonl"].loaded == 2000
        assert res["s.jsonl"].loaded == 5
        assert count(case) == 2005
