"""Benchmark: memory and time of the ingest on hostile input, and of many small files.

    .venv/bin/python benchmarks/hostile.py                  # every case, 3 runs each
    .venv/bin/python benchmarks/hostile.py --cases huge-line,gzip-bomb --repeat 1
    .venv/bin/python benchmarks/hostile.py --scale 0.25     # smaller inputs, for a quick look

Cases (``--cases``; sizes at ``--scale 1``):

* ``huge-line``: one Enactor log with a 1 GB line between ordinary lines;
* ``junk``: 3 GB of 1.5 KB lines that are no known record (2 M quarantined lines);
* ``gzip-bomb``: a 4 MB gzip of one repeated line (about 4 GB decompressed);
* ``small-files``: 10,000 files of 10 lines (Enactor and Route 53 Resolver), first
  ingest and re-ingest;
* ``bind``: one BIND ``named.log`` of 16 M valid query lines (2.5 GB), a source that
  stages each chunk (``LoadContext.stage``).

Every run is a fresh case in its own Python process (``Case.ingest`` into a database
file); its peak resident memory is read with ``os.wait4`` and its time is measured
inside it, after the imports. The table gives the median of ``--repeat`` runs; the
data is generated once into ``--work`` (git-ignored) and reused. Results:
``RESULTS.md``, section "Hostile input and many small files".
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORK = ROOT / "benchmarks" / "data" / "hostile"
CASES = ("huge-line", "junk", "gzip-bomb", "small-files", "bind")

ENACTOR = (
    "ts=2025-10-20T06:47:{s:02d}.000Z level=info host=dns-enactor-use1-az1 "
    "event=endpoint_update generation={i} endpoint=a.example.com attempt=1 status=ok "
    "latency_ms=3\n"
)
RESOLVER = (
    '{{"query_timestamp":"2025-10-20T06:48:{s:02d}Z","query_name":"n{i}.example.com.",'
    '"query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[],"srcaddr":"10.0.0.5",'
    '"srcport":"1","transport":"UDP","vpc_id":"vpc-1"}}\n'
)
BIND = (
    "20-Oct-2025 {h:02d}:{m:02d}:{s:02d}.{ms:03d} queries: info: client @0x7f{i:010x} "
    "10.0.{c}.{d}#{port} (n{i}.example.com): query: n{i}.example.com IN A +E(0)K (10.0.0.2)\n"
)

# Runs in the child: ingest DIR into a new case DB twice over (the second: re-ingest).
CHILD = """
import json, sys, time
from analyzer import open_case
logs, db, again = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
t = time.perf_counter()
with open_case(db) as case:
    res = case.ingest(logs)
first = time.perf_counter() - t
second = None
if again:
    t = time.perf_counter()
    with open_case(db) as case:
        case.ingest(logs)
    second = time.perf_counter() - t
print(json.dumps({"s": first, "again_s": second, "files": len(res),
                  "lines": sum(r.lines for r in res), "loaded": sum(r.loaded for r in res),
                  "quarantined": sum(r.quarantined for r in res)}))
"""


def make(case: str, work: Path, scale: float) -> Path:
    d = work / case
    stamp = work / f"{case}.done"
    if stamp.exists() and stamp.read_text() == str(scale):
        return d
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    head = "".join(ENACTOR.format(s=i % 60, i=i) for i in range(1000)).encode()
    if case == "huge-line":
        with (d / "e.log").open("wb") as fh:
            fh.write(head + b"ts=2025-10-20T06:47:00Z note=")
            block = b"x" * (64 << 20)
            for _ in range(max(1, int(16 * scale))):  # 16 x 64 MiB = 1 GiB
                fh.write(block)
            fh.write(b"\n" + head)
    elif case == "junk":
        junk = b"".join(b"%07d " % i + b"#" * 1492 + b"\n" for i in range(1000))
        with (d / "e.log").open("wb") as fh:
            fh.write(head)
            for _ in range(max(1, int(2000 * scale))):  # 2000 x 1.5 MB = 3 GB
                fh.write(junk)
    elif case == "gzip-bomb":
        line = ENACTOR.format(s=1, i=7).encode()
        with gzip.open(d / "e.log.gz", "wb", compresslevel=9) as fh:
            block = line * ((8 << 20) // len(line))
            for _ in range(max(1, int(500 * scale))):  # 500 x 8 MB = 4 GB
                fh.write(block)
    elif case == "bind":
        with (d / "named.log").open("w") as fh:
            for b in range(max(1, int(160 * scale))):  # 160 x 100,000 lines = 2.5 GB
                fh.write(
                    "".join(
                        BIND.format(
                            h=i // 3_600_000,
                            m=i // 60_000 % 60,
                            s=i // 1000 % 60,
                            ms=i % 1000,
                            i=i,
                            c=i % 250,
                            d=i // 250 % 250,
                            port=1024 + i % 60_000,
                        )
                        for i in range(b * 100_000, (b + 1) * 100_000)
                    )
                )
    else:
        for f in range(max(10, int(10_000 * scale))):
            sub = d / f"d{f // 500:02d}"
            sub.mkdir(exist_ok=True)
            t = ENACTOR if f % 2 else RESOLVER
            (sub / f"f{f:05d}.log").write_text("".join(t.format(s=i % 60, i=i) for i in range(10)))
    stamp.write_text(str(scale))
    return d


def run_once(logs: Path, db: Path, again: bool) -> dict:
    for p in (db, Path(f"{db}.wal")):
        p.unlink(missing_ok=True)
    cmd = [sys.executable, "-c", CHILD, str(logs), str(db), "1" if again else "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"run failed ({status}): {' '.join(cmd[:2])} {logs}")
    result = json.loads(out)
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = ap.parse_args()
    rows = []
    for case in args.cases.split(","):
        logs = make(case, args.work, args.scale)
        size = sum(p.stat().st_size for p in logs.rglob("*") if p.is_file())
        runs = [
            run_once(logs, args.work / f"{case}.duckdb", case == "small-files")
            for _ in range(args.repeat)
        ]
        for i, r in enumerate(runs, 1):
            print(f"{case:12} run {i}: {r['s']:8.2f} s {r['peak_mb']:8.0f} MB", file=sys.stderr)
        again = [r["again_s"] for r in runs if r["again_s"] is not None]
        rows.append(
            (
                case,
                f"{size / 2**20:,.0f}",
                runs[0]["files"],
                f"{runs[0]['lines']:,}",
                f"{runs[0]['quarantined']:,}",
                f"{statistics.median(r['s'] for r in runs):.2f}",
                f"{statistics.median(again):.2f}" if again else "",
                f"{statistics.median(r['peak_mb'] for r in runs):,.0f}",
            )
        )
    print("| case | MiB on disk | files | lines | quarantined | median s | re-ingest s | peak MB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


if __name__ == "__main__":
    main()
