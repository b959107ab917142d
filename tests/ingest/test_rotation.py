"""Rotation-proof incremental ingest: a file is its content, not its path.

Renamed files are recognised and not loaded twice, a path whose file was replaced
starts anew (the earlier lines are kept), a half-written last line waits until it is
complete, and appends keep loading run after run.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

from analyzer import open_case

LINE = (
    "ts=2025-10-20T06:{m:02d}:{s:02d}.000Z level=info host=dns-enactor-use1-az1 "
    "event=apply_start generation={g}\n"
)


def lines(start: int, n: int) -> str:
    return "".join(
        LINE.format(m=i // 60 % 60, s=i % 60, g=100000 + i) for i in range(start, start + n)
    )


@pytest.fixture
def case(tmp_path: Path):
    with open_case(tmp_path / "case.duckdb") as c:
        yield c


def ingest(case, logs: Path) -> dict:
    return {r.file: r for r in case.ingest(logs)}


def generations(case) -> list[int]:
    return [r[0] for r in case.sql("SELECT generation FROM enactor_events ORDER BY 1").rows()]


def by_file(case) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for file, gen in case.sql("SELECT file, generation FROM enactor_events ORDER BY line").rows():
        out.setdefault(file, []).append(gen)
    return out


def assert_no_doubles(case) -> None:
    gens = generations(case)
    assert len(gens) == len(set(gens))
    dup = case.sql("SELECT file, line FROM enactor_events GROUP BY ALL HAVING count(*) > 1")
    assert dup.is_empty()


def assert_evidence_points_to_disk(case, logs: Path) -> None:
    """Every loaded row's file:line is that line of the file now on disk."""
    for file, line, gen in case.sql("SELECT file, line, generation FROM enactor_events").rows():
        path = logs / file
        opener = gzip.open if file.endswith(".gz") else open
        with opener(path, "rt") as fh:
            text = fh.read().split("\n")[line - 1]
        assert f"generation={gen}" in text, (file, line)


def test_a_renamed_file_is_not_loaded_twice(logs, case):
    (logs / "x.log").write_text(lines(0, 50))
    ingest(case, logs)
    os.rename(logs / "x.log", logs / "x.log.1")
    (logs / "x.log").write_text(lines(50, 10))
    res = ingest(case, logs)
    assert "renamed from x.log" in res["x.log.1"].message
    assert res["x.log"].status == "loaded" and res["x.log"].loaded == 10
    assert generations(case) == list(range(100000, 100060))
    assert_no_doubles(case)
    assert_evidence_points_to_disk(case, logs)
    # and the next run has nothing to say: not "changed" forever
    again = ingest(case, logs)
    assert {r.status for r in again.values()} == {"unchanged"}


def test_a_cascade_of_rotations_with_compression(logs, case):
    (logs / "x.log").write_text(lines(0, 20))
    ingest(case, logs)
    for step in range(1, 4):
        # logrotate: x.log.N.gz -> x.log.N+1.gz, x.log.1 -> x.log.2.gz, x.log -> x.log.1
        for n in range(step, 1, -1):
            src = logs / f"x.log.{n}.gz"
            if src.exists():
                src.rename(logs / f"x.log.{n + 1}.gz")
        one = logs / "x.log.1"
        if one.exists():
            (logs / "x.log.2.gz").write_bytes(gzip.compress(one.read_bytes()))
            one.unlink()
        (logs / "x.log").rename(one)
        with one.open("a") as fh:  # the writer's last lines, before it reopened
            fh.write(lines(step * 100 - 80, 5))
        (logs / "x.log").write_text(lines(step * 100, 20))
        ingest(case, logs)
        assert_no_doubles(case)
        assert_evidence_points_to_disk(case, logs)
    files = case.files()
    assert set(files["file"]) == {"x.log", "x.log.1", "x.log.2.gz", "x.log.3.gz"}
    assert len(generations(case)) == 20 + 3 * 25


def test_copytruncate_keeps_the_new_content(logs, case):
    (logs / "x.log").write_text(lines(0, 30))
    ingest(case, logs)
    shutil.copy2(logs / "x.log", logs / "x.log.1")
    with (logs / "x.log").open("r+") as fh:
        fh.truncate(0)
    with (logs / "x.log").open("a") as fh:
        fh.write(lines(30, 7))
    res = ingest(case, logs)
    assert res["x.log"].loaded == 7
    assert by_file(case) == {
        "x.log.1": list(range(100000, 100030)),
        "x.log": list(range(100030, 100037)),
    }
    assert_evidence_points_to_disk(case, logs)


def test_a_truncated_and_rewritten_file_starts_a_new_generation(logs, case):
    (logs / "x.log").write_text(lines(0, 30))
    ingest(case, logs)
    (logs / "x.log").write_text(lines(500, 4))
    res = ingest(case, logs)
    assert res["x.log"].status == "loaded" and res["x.log"].loaded == 4
    files = {r["file"]: r for r in case.files().iter_rows(named=True)}
    earlier = [f for f in files if f.startswith("x.log (replaced")]
    assert len(earlier) == 1 and files[earlier[0]]["loaded"] == 30
    assert "no longer on disk" in files[earlier[0]]["message"]
    assert len(by_file(case)[earlier[0]]) == 30 and len(by_file(case)["x.log"]) == 4
    assert {r.status for r in ingest(case, logs).values()} == {"unchanged"}


def test_a_copy_is_not_loaded_twice(logs, case):
    (logs / "x.log").write_text(lines(0, 30))
    ingest(case, logs)
    shutil.copy(logs / "x.log", logs / "x.log.bak")
    res = ingest(case, logs)
    assert res["x.log.bak"].status == "skipped"
    assert "copy of x.log" in res["x.log.bak"].message
    assert_no_doubles(case)


def test_a_half_written_line_waits_until_it_is_complete(logs, case):
    text = lines(0, 200)
    cut = text.index("generation=100150") + len("generation=1001")  # mid-line, mid-number
    (logs / "x.log").write_text(text[:cut])
    res = ingest(case, logs)["x.log"]
    assert (res.lines, res.loaded, res.quarantined) == (150, 150, 0)
    assert "no line end yet" in res.message
    assert case.sql("SELECT count(*) AS n FROM quarantine")["n"][0] == 0
    # the writer goes on, run after run: every line loads once, none is lost
    written = cut
    for end in (text.index("generation=100170"), len(text)):
        with (logs / "x.log").open("a") as fh:
            fh.write(text[written:end])
        written = end
        ingest(case, logs)
    assert generations(case) == list(range(100000, 100200))
    assert case.sql("SELECT count(*) AS n FROM quarantine")["n"][0] == 0
    row = case.sql("SELECT status, lines, loaded FROM files").row(0)
    assert row == ("appended", 200, 200)
    assert_evidence_points_to_disk(case, logs)


def test_the_last_line_of_a_gzip_file_needs_no_line_end(logs, case):
    (logs / "x.log.gz").write_bytes(gzip.compress(lines(0, 3).rstrip("\n").encode()))
    res = ingest(case, logs)["x.log.gz"]
    assert (res.lines, res.loaded) == (3, 3)
