"""Benchmark: every rule on DuckDB (one process) against Spark local[2], same data.

    .venv/bin/python benchmarks/spark.py                      # 100M DNS queries, 3 runs
    .venv/bin/python benchmarks/spark.py --queries 10000000 --repeat 1

The data: the simulator's scale set (``simulate("scale", dns_lines=BASE, hours=24,
endpoints=150)``: 0.9 million control-plane lines and BASE Route 53 Resolver lines)
ingested once, then its ``dns_queries`` copied ``--queries / BASE`` times as the logs
of that many more resolvers (``server`` and ``file`` made distinct per copy, same
times and names), and the case exported as Parquet. Kept in ``--work`` (git-ignored)
for the next run.

The export is measured once, when the data is built. Every measured step runs in its
own process; the time is taken inside it (Spark: the
session start, then the rules); peak memory is the largest sum of the resident sets
of that process and all its children (the JVM and the Python workers), sampled every
0.2 s from /proc. Results: ``RESULTS.md``, section "DuckDB and Spark".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASE = 10_000_000
CONTROL = {"hours": 24.0, "endpoints": 150}


# -- the measured steps, each in a child process ----------------------------------------
def step_duckdb(db: str, export: str) -> dict[str, Any]:
    from analyzer import open_case

    t = time.perf_counter()
    with open_case(db, read_only=True) as case:
        found = case.findings()
    return {"seconds": time.perf_counter() - t, "findings": found.to_json(indent=None)}


def step_spark(db: str, export: str) -> dict[str, Any]:
    from analyzer.spark.engine import SparkCase
    from analyzer.spark.session import get_session

    t0 = time.perf_counter()
    session = get_session(
        "local[2]", {"spark.driver.memory": "4g", "spark.sql.shuffle.partitions": "8"}
    )
    session.range(1).count()
    t1 = time.perf_counter()
    with SparkCase(export, session=session) as case:
        found = case.findings()
        phases = dict(case.timings)
    t2 = time.perf_counter()
    session.stop()
    return {
        "seconds": t2 - t1,
        "startup_s": t1 - t0,
        "phases": phases,
        "findings": found.to_json(indent=None),
    }


def step_export(db: str, export: str) -> dict[str, Any]:
    from analyzer import open_case

    shutil.rmtree(export, ignore_errors=True)
    t = time.perf_counter()
    with open_case(db, read_only=True) as case:
        manifest = case.export_parquet(export, buckets=32)
    return {"seconds": time.perf_counter() - t, "rows": manifest["tables"]["dns_queries"]["rows"]}


STEPS = {"duckdb": step_duckdb, "spark": step_spark, "export": step_export}


def _tree_rss_mb(root: int) -> float:
    """The resident memory of ``root`` and all its descendants, in MB."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == pid and p not in tree]
        tree.update(kids)
        frontier.extend(kids)
    return sum(rss.get(p, 0) for p in tree) / 1e6


def run_child(step: str, db: Path, export: Path) -> dict[str, Any]:
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import spark as b; "
        "print(json.dumps(b.STEPS[sys.argv[2]](sys.argv[3], sys.argv[4])))"
    )
    args = [sys.executable, "-c", code, str(ROOT / "benchmarks"), step, str(db), str(export)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_mb(proc.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    watcher.join()
    if proc.returncode != 0:
        tail = "\n".join(err.splitlines()[-15:])
        raise SystemExit(f"step {step} failed ({proc.returncode}):\n{tail}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = peak[0]
    return result


# -- the data ----------------------------------------------------------------------------
def build(work: Path, queries: int, seed: int) -> tuple[Path, Path]:
    """The case of ``queries`` DNS rows (and its Parquet export), built once."""
    from analyzer import open_case
    from analyzer.simulate import simulate

    db, export = work / f"case-{queries}.duckdb", work / f"export-{queries}"
    timing = work / f"export-{queries}.json"  # the export's measurement, kept
    if db.exists() and (export / "manifest.json").exists() and timing.exists():
        return db, export
    logs = work / f"logs-{BASE}"
    if not (logs / "ground-truth.json").exists():
        print(f"simulating {BASE:,} DNS lines into {logs} ...", file=sys.stderr)
        simulate("scale", logs, seed=seed, dns_lines=BASE, **CONTROL)
    db.unlink(missing_ok=True)
    with open_case(db) as case:
        print(f"ingesting {logs} ...", file=sys.stderr)
        case.ingest(logs)
        copies = max(1, queries // BASE)
        cols = ", ".join(c for c in _dns_columns() if c not in ("server", "file"))
        for k in range(1, copies):
            print(f"copy {k} of the DNS queries ...", file=sys.stderr)
            case.con.execute(
                f"INSERT INTO dns_queries ({cols}, server, file) "
                f"SELECT {cols}, coalesce(server, '') || '-r{k}', 'copy-r{k}/' || file "
                f"FROM dns_queries WHERE NOT starts_with(file, 'copy-')"
            )
        case.con.execute("CHECKPOINT")
    print("exporting ...", file=sys.stderr)
    timing.write_text(json.dumps(run_child("export", db, export)))
    return db, export


def _dns_columns() -> list[str]:
    from analyzer import schema

    return schema.DNS_QUERIES.column_names


def _mb(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{max(known):,.0f}" if known else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=100_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "data")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    db, export = build(args.work, args.queries, args.seed)
    exported = json.loads((args.work / f"export-{args.queries}.json").read_text())
    rows = [("export", "Case.export_parquet (32 buckets), once", [exported])]
    results: dict[str, list[dict[str, Any]]] = {}
    for step in ("duckdb", "spark"):
        results[step] = [run_child(step, db, export) for _ in range(args.repeat)]
    same = {r["findings"] for r in results["duckdb"] + results["spark"]}
    rows += [
        ("detect", "DuckDB, Case.findings()", results["duckdb"]),
        ("detect", "Spark local[2], SparkCase.findings()", results["spark"]),
    ]
    n = len(json.loads(results["duckdb"][0]["findings"]))
    print(f"{exported['rows']:,} DNS queries; {n} findings; identical: {len(same) == 1}")
    print("| step | what | median s | min–max s | peak MB | note |")
    print("| --- | --- | --- | --- | --- | --- |")
    for step, what, runs in rows:
        secs = [r["seconds"] for r in runs]
        start = [r["startup_s"] for r in runs if "startup_s" in r]
        note = f"+ {statistics.median(start):.1f} s session start" if start else ""
        if runs[0].get("phases"):
            phases = runs[0]["phases"]
            note += "; " + ", ".join(f"{k} {v:.1f}" for k, v in phases.items())
        print(
            f"| {step} | {what} | {statistics.median(secs):.1f} | "
            f"{min(secs):.1f}–{max(secs):.1f} | {_mb([r.get('peak_mb') for r in runs])} | {note} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
