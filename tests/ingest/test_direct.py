"""DuckDB's own reader on a whole file (``ingest.direct``) loads exactly what the line
path loads, or declines the file: every table is the same, row for row, either way."""

from __future__ import annotations

import gzip
import json
import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import open_case
from analyzer.ingest import direct, pipeline
from analyzer.ingest.reader import CHUNK_BYTES

N = 1500  # lines per file


def record(i: int, rng: random.Random) -> dict:
    """A Resolver record as AWS writes it; some AAAA answers and times hold colons."""
    aaaa = rng.random() < 0.3
    return {
        "version": "1.100000",
        "account_id": "123456789012",
        "region": "us-east-1",
        "vpc_id": "vpc-0abc",
        "query_timestamp": f"2025-10-20T06:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "query_name": f"Host-{rng.randrange(50)}.example.com.",
        "query_type": "AAAA" if aaaa else "A",
        "query_class": "IN",
        "rcode": rng.choice(["NOERROR", "NOERROR", "SERVFAIL"]),
        "answers": [
            {
                "Rdata": f"2600:1f18::{i:x}" if aaaa else f"10.0.{i % 250}.1",
                "Type": "AAAA" if aaaa else "A",
                "Class": "IN",
            }
        ]
        if rng.random() < 0.8
        else [],
        "srcaddr": f"10.7.{i % 200}.{i % 7}",
        "srcport": str(1024 + i),
        "transport": "UDP",
        "srcids": {"instance": f"i-{i:017x}"},
    }


def clean_lines(seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [json.dumps(record(i, rng), separators=(",", ":")) for i in range(N)]


def _tables(case) -> dict[str, list[tuple]]:
    q = {
        "dns_queries": "SELECT * FROM dns_queries ORDER BY file, line",
        "quarantine": "SELECT * FROM quarantine ORDER BY file, line",
        "files": "SELECT * EXCLUDE (ingested_at) FROM files ORDER BY file",
    }
    return {name: case.con.execute(sql).fetchall() for name, sql in q.items()}


def both_paths(logs: Path, monkeypatch) -> tuple[list[str | int], dict, dict]:
    """Ingest ``logs`` by default and line by line; what ``load_direct`` said per file,
    and the two cases' tables."""
    said: list[str | int] = []
    real = pipeline.load_direct

    def spy(*args, **kwargs):
        got = real(*args, **kwargs)
        said.append(got if isinstance(got, str) else got[0])
        return got

    monkeypatch.setattr(pipeline, "load_direct", spy)
    monkeypatch.setattr(pipeline, "SMALL_FILE_BYTES", 0)  # no file loads in a batch
    fast = open_case()
    fast.ingest(logs)
    slow = open_case()
    slow.ingest(logs, chunk_bytes=CHUNK_BYTES)  # a chunk size: line by line
    monkeypatch.undo()
    return said, _tables(fast), _tables(slow)


# DuckDB is told the compression the file's first bytes show, whatever its name says.
@pytest.mark.parametrize(
    ("gz", "name"),
    [(False, "r.jsonl"), (True, "r.jsonl.gz"), (True, "r.jsonl"), (False, "r.jsonl.gz")],
)
def test_a_clean_file_loads_through_duckdb_exactly_as_line_by_line(logs, monkeypatch, gz, name):
    body = ("\n".join(clean_lines()) + "\n").encode()
    (logs / name).write_bytes(gzip.compress(body) if gz else body)
    said, fast, slow = both_paths(logs, monkeypatch)
    assert said == [N]  # taken, every line
    assert fast == slow
    assert len(fast["dns_queries"]) == N and not fast["quarantine"]


def _put(lines: list[str], i: int, line: str) -> list[str]:
    return [*lines[:i], line, *lines[i + 1 :]]


def _edit(lines: list[str], i: int, **changes) -> list[str]:
    rec = json.loads(lines[i])
    rec.update(changes)
    return _put(
        lines, i, json.dumps({k: v for k, v in rec.items() if v != "DROP"}, separators=(",", ":"))
    )


L = clean_lines()
DAMAGE = {
    "an extra field": _edit(L, 700, new_field="kept in extra"),
    "an extra field beside a numeric port": _edit(_edit(L, 3, srcport=1027), 900, x=1),
    "a firewall field": _edit(L, 10, firewall_rule_action="BLOCK"),
    "a field set to null": _edit(L, 20, rcode=None),
    "an extra field in an answer": _edit(
        L, 30, answers=[{"Rdata": "1.2.3.4", "Type": "A", "Class": "IN", "TTL": "5"}]
    ),
    "a field twice": _put(L, 40, L[40][:-1] + ',"rcode":"NXDOMAIN"}'),
    "an extra field, a space before its colon": _put(L, 41, L[41][:-1] + ',"x" :1}'),
    "an extra field, a tab before its colon": _put(L, 42, L[42][:-1] + ',"x"\t:1}'),
    "an extra field holding an object": _edit(L, 43, x={"y": "z"}),
    "a blank line": _put(L, 50, ""),
    "a line of spaces": _put(L, 60, "   "),
    "CRLF line ends": [ln + "\r" for ln in L],
    "an escape": _edit(L, 70, query_name="a\\u0062c.example.com"),
    "invalid JSON": _put(L, 80, L[80][:-3]),
    "not an object": _put(L, 90, "[1,2]"),
    "no name": _edit(L, 100, query_name="DROP"),
    "no time": _edit(L, 110, query_timestamp="DROP"),
    "a bad time": _edit(L, 120, query_timestamp="2025-13-45T99:00:00Z"),
    "a time without zone": _edit(L, 130, query_timestamp="2025-10-20T06:00:00"),
    "an overlong line": _edit(L, 150, query_name="x" * (1024 * 1024 + 10)),
    "a NUL byte": _put(L, 160, L[160].replace("UDP", "U\0P")),
    "pretty JSON over two lines": _put(L, 170, L[170].replace(',"rcode"', ',\n"rcode"')),
    "a byte order mark": _put(L, 0, "\ufeff" + L[0]),
}


@pytest.mark.parametrize("name", list(DAMAGE))
def test_any_doubt_loads_line_by_line_with_the_same_result(logs, monkeypatch, name):
    body = "\n".join(DAMAGE[name]) + "\n"
    (logs / "r.jsonl").write_bytes(body.encode("utf-8", "surrogateescape"))
    said, fast, slow = both_paths(logs, monkeypatch)
    assert len(said) == 1 and isinstance(said[0], str), said  # declined, with a reason
    assert fast == slow


TAKEN = {
    "a numeric port": _edit(L, 3, srcport=1027),
    "offsets with and without a colon": _edit(
        _edit(L, 140, query_timestamp="2025-10-20T06:00:00+0100"),
        141,
        query_timestamp="2025-10-20T06:00:00+01:00",
    ),
    "spaces around the JSON": [" " + json.dumps(json.loads(ln)) + " " for ln in L],
    "no answers field": _edit(L, 5, answers="DROP"),
    "more keys in srcids (not a canonical column)": _edit(
        L, 7, srcids={"instance": "i-1", "resolver_endpoint": {"id": "rslvr-in-1:x"}}
    ),
    "a trailing-dot answer and an upper-case name": _edit(
        L,
        6,
        query_name="WWW.Example.COM.",
        answers=[{"Rdata": "a.b.", "Type": "CNAME", "Class": "IN"}],
    ),
}


@pytest.mark.parametrize("name", list(TAKEN))
def test_odd_but_clean_lines_are_taken_with_the_same_result(logs, monkeypatch, name):
    (logs / "r.jsonl").write_text("\n".join(TAKEN[name]) + "\n")
    said, fast, slow = both_paths(logs, monkeypatch)
    assert said == [N]
    assert fast == slow


@pytest.mark.parametrize(
    "name", ["clean", "an extra field", "a field twice", "an extra field, a space before its colon"]
)
def test_keys_are_counted_across_the_scans_steps(logs, monkeypatch, name):
    monkeypatch.setattr(direct, "_STEP", 7)  # '":' pairs and '" ' split between steps
    lines = L if name == "clean" else DAMAGE[name]
    (logs / "r.jsonl").write_text("\n".join(lines) + "\n")
    said, fast, slow = both_paths(logs, monkeypatch)
    assert said == [N] if name == "clean" else isinstance(said[0], str)
    assert fast == slow


def test_invalid_utf8_and_an_unterminated_last_line_are_declined(logs, monkeypatch):
    body = "\n".join(L).encode()
    (logs / "a.jsonl").write_bytes(body)  # no line end after the last line
    (logs / "b.jsonl").write_bytes(body.replace(b"UDP", b"U\xffP", 1) + b"\n")
    said, fast, slow = both_paths(logs, monkeypatch)
    assert len(said) == 2 and all(isinstance(s, str) for s in said), said
    assert fast == slow


def test_damaged_gzip_is_salvaged_line_by_line(logs, monkeypatch):
    data = bytearray(gzip.compress(("\n".join(L) + "\n").encode()))
    data[len(data) // 2] ^= 0xFF
    (logs / "r.jsonl.gz").write_bytes(bytes(data))
    said, fast, slow = both_paths(logs, monkeypatch)
    assert len(said) == 1 and isinstance(said[0], str)
    assert fast == slow
    assert fast["files"][0][3] == "partial"


EXAMPLES = int(os.environ.get("PF_FUZZ_EXAMPLES", "8"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 50,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(st.integers(0, N - 1), st.integers(0, 400), st.binary(min_size=1, max_size=3)),
        max_size=3,
    ),
    st.booleans(),
)
def test_random_bytes_anywhere_give_the_same_tables_either_way(
    tmp_path_factory, monkeypatch, edits, gz
):
    lines = [ln.encode() for ln in L]
    for i, at, new in edits:  # bytes overwritten inside a line (any byte, newlines too)
        ln = lines[i]
        at = min(at, len(ln))
        lines[i] = ln[:at] + new + ln[at + len(new) :]
    body = b"".join(ln + b"\n" for ln in lines)
    logs = tmp_path_factory.mktemp("logs")
    (logs / ("r.jsonl.gz" if gz else "r.jsonl")).write_bytes(gzip.compress(body) if gz else body)
    said, fast, slow = both_paths(logs, monkeypatch)
    assert fast == slow
    if not edits:
        assert said == [N]
