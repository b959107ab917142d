"""Line-level damage stays line-level: one bad byte or line never costs the whole file."""

from __future__ import annotations

from analyzer import open_case
from tests.conftest import ingest

ENACTOR = (
    "ts=2025-10-20T06:47:{s:02d}.000Z level=info host=dns-enactor-use1-az1 "
    "event=apply_start generation={g}\n"
)


def enactor_lines(n: int, start: int = 0) -> bytes:
    return "".join(ENACTOR.format(s=i % 60, g=118000 + i) for i in range(start, start + n)).encode()


def loaded_lines(case) -> list[int]:
    return [r[0] for r in case.sql("SELECT line FROM enactor_events ORDER BY line").rows()]


def test_one_nul_byte_quarantines_one_line(logs):
    data = bytearray(enactor_lines(50))
    at = data.index(b"\n", 200) + 5  # inside line 3 or so
    line_no = data[:at].count(b"\n") + 1
    data[at] = 0
    (logs / "e.log").write_bytes(bytes(data))
    case, res = ingest(logs)
    r = res["e.log"]
    assert r.status == "loaded" and r.source == "enactor"
    assert (r.lines, r.loaded, r.quarantined) == (50, 49, 1)
    assert line_no not in loaded_lines(case)
    quarantined = case.sql("SELECT line FROM quarantine")["line"].to_list()
    assert quarantined == [line_no]


def test_mostly_binary_content_is_still_skipped(logs):
    (logs / "core.bin").write_bytes(bytes(range(256)) * 400 + enactor_lines(5))
    _, res = ingest(logs)
    assert res["core.bin"].status == "skipped"
    assert "binary" in res["core.bin"].message and "%" in res["core.bin"].message


def test_a_bom_is_ignored(logs):
    (logs / "e.log").write_bytes(b"\xef\xbb\xbf" + enactor_lines(3))
    case, res = ingest(logs)
    assert (res["e.log"].loaded, res["e.log"].quarantined) == (3, 0)
    assert loaded_lines(case) == [1, 2, 3]


def test_a_long_first_line_is_quarantined_not_a_reason_to_skip(logs):
    long_line = b"ts=2025-10-20T06:47:00Z note=" + b"x" * (200 * 1024) + b"\n"
    (logs / "e.log").write_bytes(long_line + enactor_lines(4))
    case, res = ingest(logs)
    r = res["e.log"]
    assert r.source == "enactor"
    assert (r.lines, r.loaded, r.quarantined) == (5, 4, 1)
    assert loaded_lines(case) == [2, 3, 4, 5]


def test_a_first_line_over_the_line_limit(logs):
    (logs / "e.log").write_bytes(b"y" * (3 * 1024 * 1024) + b"\n" + enactor_lines(2))
    case, res = ingest(logs)
    r = res["e.log"]
    assert (r.source, r.lines, r.loaded, r.quarantined) == ("enactor", 3, 2, 1)
    reason = case.sql("SELECT reason FROM quarantine WHERE line = 1")["reason"][0]
    assert reason.startswith("line too long")


def test_detection_reads_past_a_long_preamble(logs):
    preamble = b"".join(b"# banner line %d of the collector\n" % i for i in range(3000))
    (logs / "e.log").write_bytes(preamble + enactor_lines(5))
    _, res = ingest(logs)
    r = res["e.log"]
    assert r.source == "enactor"
    assert (r.lines, r.loaded, r.quarantined) == (3005, 5, 3000)


def test_detection_reads_past_a_run_of_blank_lines(logs):
    (logs / "e.log").write_bytes(b"\n" * (70 * 1024) + enactor_lines(5))
    _, res = ingest(logs)
    r = res["e.log"]
    assert r.source == "enactor"
    assert (r.lines, r.loaded, r.quarantined) == (70 * 1024 + 5, 5, 70 * 1024)


def test_nul_bytes_in_the_sample_enactor_log_cost_only_their_lines(tmp_path):
    """The sample's findings do not change when one Enactor log gets one NUL byte."""
    import shutil

    from tests.conftest import REPO

    src = REPO / "sample_logs" / "dynamodb-2025-10-20"
    damaged = tmp_path / "sample"
    shutil.copytree(src, damaged)
    target = damaged / "enactor" / "dns-enactor-use1-az2.log"
    data = bytearray(target.read_bytes())
    at = data.index(b"\n", 1000) + 3
    data[at] = 0
    target.write_bytes(bytes(data))
    clean, hurt = open_case(), open_case()
    clean.ingest(src)
    hurt.ingest(damaged)
    files = {f["file"]: f for f in hurt.files().iter_rows(named=True)}
    r = files["enactor/dns-enactor-use1-az2.log"]
    assert r["status"] == "loaded" and r["quarantined"] == 1
    before, after = clean.findings().df, hurt.findings().df
    assert len(before) > 0
    assert sorted(before["rule"].to_list()) == sorted(after["rule"].to_list())


def test_a_huge_line_is_read_past_and_its_size_reported(logs, tmp_path):
    huge = b"ts=2025-10-20T06:47:00Z note=" + b"z" * (9 * 1024 * 1024) + b"\n"
    path = logs / "e.log"
    path.write_bytes(enactor_lines(3) + huge + enactor_lines(3, start=3))
    case = open_case(tmp_path / "c.duckdb")
    r = case.ingest(logs)[0]
    assert (r.lines, r.loaded, r.quarantined) == (7, 6, 1)
    reason = case.sql("SELECT reason FROM quarantine WHERE line = 4")["reason"][0]
    assert reason == f"line too long ({len(huge) - 1} bytes; the limit is 1048576)"
    with path.open("ab") as fh:  # an append after it still proves the earlier content
        fh.write(enactor_lines(2, start=6))
    again = case.ingest(logs)[0]
    assert (again.status, again.lines, again.loaded) == ("appended", 9, 8)
    assert loaded_lines(case) == [1, 2, 3, 5, 6, 7, 8, 9]
