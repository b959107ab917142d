"""Single-scan sources load runs of chunks as one stream; the result must not depend on it.

``tests/data/ingest/runs/`` holds a Resolver log whose broken and zone-less lines the
first, direct insert of a run leaves out (they are finished by a second look), and the
same Enactor records twice: in the plain form that becomes JSON by text replacement,
and in forms only the full logfmt grammar reads (extra white space, quoted values).
"""

from __future__ import annotations

import pytest

from analyzer import open_case
from tests.conftest import DATA

RUNS = DATA / "ingest" / "runs"
RESOLVER = "resolver-vpc-9.jsonl"


def _rows(case, table: str, file: str) -> list[tuple]:
    return case.sql(
        f"SELECT * EXCLUDE (file) FROM {table} WHERE file = ? ORDER BY line", [file]
    ).rows()


@pytest.fixture(scope="module")
def cases():
    """The same directory in one chunk per file, and in chunks of a few lines each."""
    whole, small = open_case(), open_case()
    whole.ingest(RUNS)
    small.ingest(RUNS, chunk_bytes=600)  # several lines a chunk, several chunks a run
    yield whole, small
    whole.close()
    small.close()


def test_chunking_changes_nothing(cases):
    whole, small = cases
    for table in ("dns_queries", "enactor_events", "quarantine"):
        for file in (RESOLVER, "dns-enactor-plain.log", "dns-enactor-grammar.log"):
            assert _rows(whole, table, file) == _rows(small, table, file), (table, file)
    files = "SELECT * EXCLUDE (ingested_at, root) FROM files ORDER BY file"
    assert whole.sql(files).rows() == small.sql(files).rows()


@pytest.mark.parametrize("index", [0, 1])
def test_lines_left_out_by_the_first_insert_are_finished(cases, index):
    case = cases[index]
    f = case.sql("SELECT * FROM files WHERE file = ?", [RESOLVER]).row(0, named=True)
    assert (f["lines"], f["loaded"], f["quarantined"]) == (40, 37, 3)
    assert "2 timestamps had no zone" in f["message"]
    bad = dict(case.sql("SELECT line, reason FROM quarantine WHERE file = ?", [RESOLVER]).rows())
    assert bad == {8: "invalid JSON", 22: "missing field query_name", 31: "not a JSON object"}
    loaded = case.sql("SELECT line FROM dns_queries WHERE file = ? ORDER BY line", [RESOLVER])
    assert loaded["line"].to_list() == [n for n in range(1, 41) if n not in bad]
    zoneless = case.sql(
        "SELECT qname, ts FROM dns_queries WHERE file = ? AND line IN (14, 36) ORDER BY line",
        [RESOLVER],
    ).rows()
    assert [q for q, _ in zoneless] == ["n13.example.com", "n35.example.com"]
    assert [ts.strftime("%H:%M:%S") for _, ts in zoneless] == ["06:48:13", "06:48:35"]
    extra = case.sql("SELECT extra FROM dns_queries WHERE file = ? AND line = 23", [RESOLVER])
    assert extra["extra"][0] == '{"firewall_rule_action":"ALERT"}'


def test_plain_and_grammar_logfmt_read_alike(cases):
    whole, _ = cases
    plain = _rows(whole, "enactor_events", "dns-enactor-plain.log")
    grammar = _rows(whole, "enactor_events", "dns-enactor-grammar.log")
    assert len(plain) == 7 and plain == grammar
    reasons = "SELECT line, reason FROM quarantine WHERE file = ? ORDER BY line"
    expected = [
        (8, "generation is not an integer: x"),
        (9, "not a logfmt record"),
        (10, "a key appears twice"),
    ]
    assert whole.sql(reasons, ["dns-enactor-plain.log"]).rows() == expected
    assert whole.sql(reasons, ["dns-enactor-grammar.log"]).rows() == expected
    f = whole.sql("SELECT message FROM files WHERE file = 'dns-enactor-plain.log'")
    assert "1 timestamps had no zone" in f["message"][0]


def test_a_duplicated_unknown_key_is_quarantined_not_fatal(tmp_path):
    log = tmp_path / "dns-enactor-x.log"
    log.write_text(
        "ts=2025-10-20T06:48:20Z host=h event=custom foo=bar foo=baz\n"
        'ts=2025-10-20T06:48:21Z host=h event=custom foo="a b" foo=baz\n'
        "ts=2025-10-20T06:48:22Z host=h event=custom foo=bar\n"
    )
    case = open_case()
    (result,) = case.ingest(tmp_path)
    assert (result.loaded, result.quarantined) == (1, 2)
    assert case.sql("SELECT extra['foo'] AS foo FROM enactor_events")["foo"].to_list() == ["bar"]
