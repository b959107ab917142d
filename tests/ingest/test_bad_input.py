"""Bad input: every kind gets a clear reason, nothing is dropped, the rest still loads."""

from __future__ import annotations

import gzip
import json

from analyzer import open_case
from tests.conftest import ingest

GOOD = (
    '{"query_timestamp":"2025-10-20T06:48:30Z","query_name":"a.example.com.","query_type":"A",'
    '"query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"192.0.2.1","Type":"A",'
    '"Class":"IN"}],"srcaddr":"10.0.0.5","srcport":"1","transport":"UDP","vpc_id":"vpc-1"}'
)


def dns_lines(n: int) -> bytes:
    return "".join(GOOD.replace("a.example", f"n{i}.example") + "\n" for i in range(n)).encode()


def assert_identity(case, result) -> None:
    assert result.lines == result.loaded + result.quarantined
    n = case.sql("SELECT count(*) AS n FROM quarantine WHERE file = ?", [result.file])["n"][0]
    assert n == result.quarantined


def reasons(case, file: str) -> dict[int, str]:
    return dict(case.sql("SELECT line, reason FROM quarantine WHERE file = ?", [file]).rows())


def test_truncated_and_corrupt_lines(logs):
    (logs / "r.jsonl").write_bytes(dns_lines(3) + GOOD[:40].encode() + b"\n" + dns_lines(2))
    case, res = ingest(logs)
    r = res["r.jsonl"]
    assert (r.lines, r.loaded, r.quarantined) == (6, 5, 1)
    assert reasons(case, "r.jsonl") == {4: "invalid JSON"}
    assert_identity(case, r)


def test_invalid_utf8_is_quarantined_with_escaped_raw(logs):
    (logs / "r.jsonl").write_bytes(dns_lines(2) + b'{"query_name":"\xff\xfe"}\n' + dns_lines(1))
    case, res = ingest(logs)
    assert reasons(case, "r.jsonl") == {3: "invalid UTF-8"}
    raw = case.sql("SELECT raw FROM quarantine")["raw"][0]
    assert "\\xFF" in raw
    assert res["r.jsonl"].loaded == 3
    assert_identity(case, res["r.jsonl"])


def test_truncated_gzip_keeps_lines_before_the_damage(logs):
    blob = gzip.compress(dns_lines(5000))
    (logs / "r.jsonl.gz").write_bytes(blob[: len(blob) * 2 // 3])
    case, res = ingest(logs)
    r = res["r.jsonl.gz"]
    assert r.status == "partial"
    assert "gzip" in r.message
    assert 0 < r.loaded < 5000
    assert_identity(case, r)
    # the cut-off line is quarantined as such, right after the last loaded line
    last = case.sql("SELECT max(line) AS m FROM dns_queries")["m"][0]
    assert reasons(case, "r.jsonl.gz")[last + 1].startswith("line cut off")


def test_empty_file_is_listed(logs):
    (logs / "empty.log").write_bytes(b"")
    (logs / "r.jsonl").write_bytes(dns_lines(1))
    _, res = ingest(logs)
    assert res["empty.log"].status == "skipped" and res["empty.log"].message == "empty file"
    assert res["r.jsonl"].loaded == 1


def test_ten_megabyte_line(logs):
    huge = b'{"query_name":"' + b"x" * (10 * 1024 * 1024) + b'"}\n'
    (logs / "r.jsonl").write_bytes(dns_lines(2) + huge + dns_lines(2))
    case, res = ingest(logs)
    r = res["r.jsonl"]
    assert (r.lines, r.loaded, r.quarantined) == (5, 4, 1)
    reason = reasons(case, "r.jsonl")[3]
    assert reason.startswith("line too long")
    raw_len = case.sql("SELECT length(raw) AS n FROM quarantine")["n"][0]
    assert raw_len <= 2000  # the quarantine keeps a bounded excerpt
    assert_identity(case, r)


def test_binary_file_is_skipped(logs):
    (logs / "core.bin").write_bytes(bytes(range(256)) * 100)
    _, res = ingest(logs)
    assert res["core.bin"].status == "skipped"
    assert "binary" in res["core.bin"].message


def test_file_of_no_known_source_is_skipped_with_first_line(logs):
    (logs / "notes.md").write_text("# Shift notes\nnothing to see\n")
    case, res = ingest(logs)
    assert res["notes.md"].status == "skipped"
    assert "Shift notes" in res["notes.md"].message
    files = case.files()
    assert files.filter(files["file"] == "notes.md")["status"][0] == "skipped"


def test_blank_lines_are_counted(logs):
    (logs / "r.jsonl").write_bytes(dns_lines(1) + b"\n   \r\n" + dns_lines(1))
    case, res = ingest(logs)
    assert reasons(case, "r.jsonl") == {2: "empty line", 3: "empty line"}
    assert_identity(case, res["r.jsonl"])


def test_last_line_without_newline_waits_for_its_end(logs):
    enactor = "ts=2025-10-20T06:47:0{i}.000Z level=info host=e1 event=apply_start generation={i}\n"
    (logs / "e.log").write_text("".join(enactor.format(i=i) for i in range(2)).rstrip("\n"))
    (logs / "r2.jsonl.gz").write_bytes(gzip.compress(dns_lines(2).rstrip(b"\n")))
    (logs / "r.jsonl").write_bytes(dns_lines(2).rstrip(b"\n"))
    case, res = ingest(logs)
    assert (res["e.log"].lines, res["e.log"].loaded) == (1, 1)
    assert "no line end yet" in res["e.log"].message
    assert case.sql("SELECT count(*) AS n FROM quarantine")["n"][0] == 0
    # a compressed file is complete, and so is a whole JSON object: their last lines load
    assert (res["r2.jsonl.gz"].lines, res["r2.jsonl.gz"].loaded) == (2, 2)
    assert (res["r.jsonl"].lines, res["r.jsonl"].loaded) == (2, 2)


def test_a_json_last_line_loaded_without_its_end_gets_it_on_append(logs):
    (logs / "r.jsonl").write_bytes(dns_lines(2).rstrip(b"\n"))
    case, _ = ingest(logs)
    with (logs / "r.jsonl").open("ab") as fh:
        fh.write(b"\n" + dns_lines(1))
    again = {r.file: r for r in case.ingest(logs)}["r.jsonl"]
    assert (again.status, again.lines, again.loaded, again.quarantined) == ("appended", 3, 3, 0)
    (logs / "s.jsonl").write_bytes(dns_lines(1).rstrip(b"\n"))
    case.ingest(logs)
    with (logs / "s.jsonl").open("ab") as fh:  # the loaded line goes on: not an append
        fh.write(b"garbage\n")
    assert {r.file: r for r in case.ingest(logs)}["s.jsonl"].status == "changed"


def test_a_line_number_is_its_physical_line(logs):
    lines = [GOOD.replace("a.example", f"n{i}.example") for i in range(7)]
    lines[2] = ""
    lines[4] = "garbage"
    (logs / "r.jsonl").write_text("\n".join(lines) + "\n")
    case, _ = ingest(logs)
    got = case.sql("SELECT line, qname FROM dns_queries ORDER BY line").rows()
    assert got == [(i, f"n{i - 1}.example.com") for i in (1, 2, 4, 6, 7)]


def test_small_chunks_give_the_same_rows(logs):
    """Chunk boundaries must not split or renumber lines."""
    (logs / "r.jsonl").write_bytes(dns_lines(300))
    whole = open_case()
    whole.ingest(logs)
    chunked = open_case()
    chunked.ingest(logs, chunk_bytes=1000)
    q = "SELECT line, qname FROM dns_queries ORDER BY line"
    assert whole.sql(q).equals(chunked.sql(q))
    assert chunked.sql("SELECT count(*) AS n FROM dns_queries")["n"][0] == 300


def test_json_report_fields_are_json_serialisable(logs):
    (logs / "r.jsonl").write_bytes(dns_lines(1))
    _, res = ingest(logs)
    json.dumps([r.to_dict() for r in res.values()])
