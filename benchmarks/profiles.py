"""Benchmark: Enactor logs read through source profiles against the native logfmt ingest.

    .venv/bin/python benchmarks/profiles.py            # 12 hours of 150 endpoints, 3 runs
    .venv/bin/python benchmarks/profiles.py --hours 24 --repeat 5

The simulator's scale run writes the same Enactor records three times: in the spec's
logfmt (``enactor/`` of the spec run) and in the ``json-nested`` and ``text`` dialects,
the same number of lines at the same line numbers. Each measured step ingests the
``enactor/`` directory into a new case file in its own subprocess (the time is taken
inside it after the imports and includes closing the database), ``--repeat`` rounds
of all steps in turn (so a busy machine slows every step alike); the table shows the
median wall time and CPU time (all threads) and their ratios to the native ingest. The
``logfmt profile`` row reads the spec's files through the built-in ``enactor`` profile
(renamed so the engine, not the native ingestor, reads them). Results:
``RESULTS.md`` ("Source profiles").
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORK = ROOT / "benchmarks" / "data" / "profiles"


def _child(src: str, db: str, profile: str) -> None:
    import dataclasses

    from analyzer import open_case
    from analyzer.profiles import builtin_profiles

    if profile == "builtin-enactor":
        (p,) = [p for p in builtin_profiles() if p.id == "enactor"]
        profiles: list = [dataclasses.replace(p, id="enactor-profile", builtin=False)]
    else:
        profiles = [profile] if profile else []
    start, cpu = time.perf_counter(), time.process_time()
    case = open_case(db)
    results = case.ingest(src, profiles=profiles)
    case.close()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    lines = sum(r.lines for r in results)
    loaded = sum(r.loaded for r in results)
    sources = sorted({r.source for r in results if r.source})
    print(
        json.dumps({"s": seconds, "cpu": cpu, "lines": lines, "loaded": loaded, "sources": sources})
    )


def _run(src: Path, profile: str, work: Path) -> dict:
    db = work / "bench.duckdb"
    db.unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(src), str(db), profile],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hours", type=float, default=12.0)
    ap.add_argument("--endpoints", type=int, default=150)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    from analyzer.simulate import simulate

    args.work.mkdir(parents=True, exist_ok=True)
    runs = {}
    for dialect in (None, "json-nested", "text"):
        out = args.work / (dialect or "spec")
        simulate(
            "scale",
            out,
            seed=1,
            dns_lines=1000,
            hours=args.hours,
            endpoints=args.endpoints,
            dialect=dialect,
        )
        runs[dialect or "spec"] = out / "enactor"
    docs = ROOT / "docs" / "profiles"
    steps = [
        ("native logfmt (enactor.py)", runs["spec"], ""),
        ("logfmt profile (built-in enactor)", runs["spec"], "builtin-enactor"),
        ("json-nested profile", runs["json-nested"], str(docs / "json-nested")),
        ("text (regex) profile", runs["text"], str(docs / "text")),
    ]
    got: dict[str, list[dict]] = {name: [] for name, _, _ in steps}
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        for _ in range(args.repeat):  # round after round: a busy machine slows all alike
            for name, src, profile in steps:
                got[name].append(_run(src, profile, Path(tmp)))
    base = statistics.median(g["s"] for g in got[steps[0][0]])
    base_cpu = statistics.median(g["cpu"] for g in got[steps[0][0]])
    print("| step | lines | median s | min–max s | CPU s | lines/s | ratio | CPU ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, runs in got.items():
        times = [g["s"] for g in runs]
        med, cpu = statistics.median(times), statistics.median(g["cpu"] for g in runs)
        lines = runs[0]["lines"]
        assert all(g["loaded"] == lines for g in runs), (name, runs[0])
        print(
            f"| {name} | {lines:,} | {med:.2f} | {min(times):.2f}–{max(times):.2f} | "
            f"{cpu:.2f} | {lines / med / 1000:,.0f}k | {med / base:.2f}x | {cpu / base_cpu:.2f}x |"
        )


if __name__ == "__main__":
    main()
