"""Crash safety and rotation under random schedules: nothing lost, nothing doubled.

``kill -9`` at random points of an ingest leaves a case whose every file is whole or
absent, and the next run completes it to exactly what one clean run loads. A random
life of a log (appends, half-written lines, rotations, compression, copytruncate)
ingested after every step loads every complete line once. CI runs a few points and
steps; ``make fuzz`` many more (``PF_FUZZ_KILLS``, ``PF_FUZZ_STEPS``).
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer import open_case

KILLS = int(os.environ.get("PF_FUZZ_KILLS", "3"))
STEPS = int(os.environ.get("PF_FUZZ_STEPS", "12"))
LINE = (
    "ts=2025-10-20T{h:02d}:{m:02d}:{s:02d}.000Z level=info host=e{f} event=endpoint_update "
    "generation={g} endpoint=a.example.com attempt=1 status=ok latency_ms=3\n"
)


def line(g: int, f: int = 1) -> str:
    return LINE.format(h=g // 3600 % 24, m=g // 60 % 60, s=g % 60, f=f, g=g)


def assert_consistent(case) -> None:
    """Every file recorded is whole (its rows are its counts); no row without its file."""
    bad = case.sql(
        """SELECT f.file FROM files f LEFT JOIN (SELECT file, count(*) AS n
           FROM enactor_events GROUP BY file) e USING (file)
           LEFT JOIN (SELECT file, count(*) AS q FROM quarantine GROUP BY file) q USING (file)
           WHERE f.lines <> f.loaded + f.quarantined OR coalesce(e.n, 0) <> f.loaded
              OR coalesce(q.q, 0) <> f.quarantined"""
    )
    assert bad.is_empty(), bad
    orphans = case.sql(
        "SELECT count(*) AS n FROM enactor_events WHERE file NOT IN (SELECT file FROM files)"
    )
    assert orphans["n"][0] == 0


def totals(case) -> list[tuple]:
    return (
        case.sql("SELECT file, lines, loaded, quarantined, sha256 FROM files ORDER BY file").rows()
        + case.sql("SELECT file, count(*) FROM enactor_events GROUP BY ALL ORDER BY 1").rows()
    )


@pytest.fixture(scope="module")
def crash_logs(tmp_path_factory) -> Path:
    logs = tmp_path_factory.mktemp("crash") / "logs"
    logs.mkdir()
    for f in range(6):  # big ones, loaded alone in many statements
        body = "".join(line(g, f) for g in range(30_000))
        (logs / f"big{f}.log").write_text(body + "garbage line\n")
    with gzip.open(logs / "big6.log.gz", "wt") as fh:
        fh.write("".join(line(g, 6) for g in range(30_000)))
    for f in range(300):  # small ones, loaded in batches
        (logs / "small" / f"{f // 100}").mkdir(parents=True, exist_ok=True)
        text = "".join(line(g, 100 + f) for g in range(f % 7 + 1))
        (logs / "small" / f"{f // 100}" / f"s{f:03d}.log").write_text(text)
    return logs


@pytest.mark.slow
def test_kill_9_at_random_points_leaves_a_case_the_next_run_completes(crash_logs, tmp_path):
    reference = open_case(tmp_path / "reference.duckdb")
    reference.ingest(crash_logs)
    want = totals(reference)
    rnd = random.Random(os.environ.get("PF_FUZZ_SEED", "20251020"))
    killed = 0
    for n in range(KILLS):
        db = tmp_path / f"case{n}.duckdb"
        proc = subprocess.Popen(
            [sys.executable, "-m", "analyzer", "ingest", str(crash_logs), "--db", str(db)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not db.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rnd.uniform(0.0, 2.5))
        proc.send_signal(signal.SIGKILL)
        killed += proc.wait() == -signal.SIGKILL
        with open_case(db) as case:
            assert_consistent(case)
            case.ingest(crash_logs)
            assert_consistent(case)
            assert totals(case) == want
    assert killed >= 1


@pytest.mark.parametrize("seed", range(int(os.environ.get("PF_FUZZ_LIVES", "2"))))
def test_a_random_life_of_a_log_loads_every_line_once(tmp_path, seed):
    """Appends, half lines, rotations (with compression) and copytruncate, at random."""
    rnd = random.Random(seed)
    logs = tmp_path / "logs"
    logs.mkdir()
    x = logs / "x.log"
    case = open_case(tmp_path / "case.duckdb")
    g = 0
    written: list[int] = []  # every complete line ever written, by generation
    pending = ""  # a half-written line, to be completed by the next append

    def append(n: int) -> None:
        nonlocal g, pending
        text = pending + "".join(line(g + i) for i in range(n))
        written.extend(range(g, g + n))
        g += n
        half = rnd.random() < 0.4
        pending = line(g)[: rnd.randint(1, 60)] if half else ""
        cut = line(g)[len(pending) :] if half else ""
        with x.open("a") as fh:
            fh.write(text + pending)
        if half:  # the rest of the line comes with the next append
            written.append(g)
            g += 1
            pending = cut

    def rotate(compress: bool) -> None:
        olds = sorted(logs.glob("x.log.*"), key=lambda p: -int(p.name.split(".")[2]))
        for old in olds:
            k = int(old.name.split(".")[2])
            old.rename(logs / old.name.replace(f".{k}", f".{k + 1}", 1))
        if rnd.random() < 0.5:  # copytruncate: copy, then cut the file the writer keeps
            shutil.copy2(x, logs / "x.log.1")
            with x.open("r+") as fh:
                fh.truncate(0)
        else:
            x.rename(logs / "x.log.1")
            x.touch()
        if compress:
            two = logs / "x.log.2"
            if two.exists():
                (logs / "x.log.2.gz").write_bytes(gzip.compress(two.read_bytes()))
                two.unlink()

    x.touch()
    for _ in range(STEPS):
        action = rnd.choice(["append", "append", "rotate", "rotate-gz"])
        if action == "append" or not x.stat().st_size:
            append(rnd.randint(1, 40))
        else:
            if pending:  # rotation does not wait for the writer: finish its line first
                with x.open("a") as fh:
                    fh.write(pending)
                pending = ""
            rotate(action == "rotate-gz")
        case.ingest(logs)
        assert_consistent(case)
    if pending:
        with x.open("a") as fh:
            fh.write(pending)
    case.ingest(logs)
    got = [r[0] for r in case.sql("SELECT generation FROM enactor_events ORDER BY 1").rows()]
    assert got == sorted(written)  # every line once: none lost, none doubled
    assert case.sql("SELECT count(*) AS n FROM quarantine")["n"][0] == 0
