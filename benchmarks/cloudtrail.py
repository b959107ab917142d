"""Benchmark: CloudTrail ingest against DuckDB's raw read_json of the same files.

    .venv/bin/python benchmarks/cloudtrail.py                    # 200k events, 3 runs
    .venv/bin/python benchmarks/cloudtrail.py --events 50000 --repeat 1

The data: S3-delivered CloudTrail documents (gzip, ``AWSLogs/.../YYYY/MM/DD/``, 1,000
records a file, 80% Route 53 ChangeResourceRecordSets with one to three changes, the
rest reads and other services), written by the simulator's CloudTrail writer into
``--work`` (git-ignored) and reused. Measured, each in its own process, into a new
database file, median of ``--repeat`` runs (the two interleaved):

* **analyzer**: ``Case.ingest`` of the directory (split, parse, one row per change,
  quarantine and counts, provenance with file, line and record).
* **DuckDB read_json** (the floor): ``read_json`` of the same files (``Records`` as a
  list of structs of the fields the analyzer reads), unnested to one row per change of
  the Route 53 change events, into a table. DuckDB's default ``maximum_object_size``
  (16 MB, the fastest here): a larger document fails there, not in the analyzer.

Results: ``RESULTS.md`` ("CloudTrail").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORK = ROOT / "benchmarks" / "data" / "cloudtrail"

_RAW = """
CREATE TABLE changes AS
WITH r AS (
    SELECT filename, unnest(Records) AS e
    FROM read_json('{glob}', filename = true,
                   columns = {{Records: 'STRUCT(eventTime TIMESTAMPTZ, eventSource VARCHAR,
                       eventName VARCHAR, userIdentity STRUCT(arn VARCHAR),
                       requestParameters STRUCT(hostedZoneId VARCHAR,
                           changeBatch STRUCT(changes STRUCT(action VARCHAR,
                               resourceRecordSet STRUCT(name VARCHAR, type VARCHAR,
                                   "tTL" BIGINT, resourceRecords STRUCT(value VARCHAR)[]))[])),
                       responseElements STRUCT(changeInfo STRUCT(id VARCHAR)),
                       errorCode VARCHAR)[]'}})
)
SELECT filename, e.eventTime AS ts, e.userIdentity.arn AS actor, e.errorCode AS error_code,
       e.responseElements.changeInfo.id AS change_id,
       unnest(e.requestParameters.changeBatch.changes) AS c
FROM r
WHERE e.eventSource = 'route53.amazonaws.com' AND e.eventName = 'ChangeResourceRecordSets'
"""


def generate(work: Path, events: int) -> None:
    """The documents, 1,000 records a file (reused while ``events`` matches)."""
    from analyzer.simulate.cloudtrail import Event, Identity, RecordSetChange, write_documents
    from analyzer.simulate.config import Rand, utc

    stamp = work / "events.txt"
    if stamp.exists() and stamp.read_text() == str(events):
        return
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    r = Rand(1, "bench")
    writers = [Identity(role="external-dns", session=f"external-dns-{i}") for i in range(8)]
    t0, evs = utc("2025-10-20T00:00:00Z"), []
    step = 300 / 1000  # 1,000 records per 5-minute file
    for i in range(events):
        who = writers[r.int(0, 7)]
        if r.chance(0.8):
            changes = [
                RecordSetChange(
                    ("UPSERT", "CREATE", "DELETE")[r.int(0, 2)],
                    f"svc-{r.int(0, 5000)}.example.com",
                    "A",
                    tuple(f"10.{r.int(0, 255)}.{r.int(0, 255)}.{r.int(1, 254)}" for _ in range(2)),
                )
                for _ in range(r.int(1, 3))
            ]
            evs.append(Event(t0 + i * step, who, changes=changes, change_id=f"C{i:013d}"))
        else:
            evs.append(Event(t0 + i * step, who, name="ListResourceRecordSets"))
    write_documents(evs, work, r)
    stamp.write_text(str(events))


def _child(kind: str, work: Path, db: Path) -> float:
    db.unlink(missing_ok=True)
    import duckdb

    from analyzer import open_case

    t = time.perf_counter()
    if kind == "analyzer":
        with open_case(db) as case:
            case.ingest(work / "cloudtrail")
    else:
        con = duckdb.connect(str(db))
        con.execute(_RAW.format(glob=str(work / "cloudtrail" / "**" / "*.json.gz")))
        con.close()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    db = args.work.parent / "cloudtrail-bench.duckdb"
    if args.child:
        print(json.dumps({"s": _child(args.child, args.work, db)}))
        return
    generate(args.work, args.events)
    runs: dict[str, list[float]] = {"duckdb": [], "analyzer": []}
    for _ in range(args.repeat):  # interleaved: both see the same load on a shared machine
        for kind, times in runs.items():
            out = subprocess.run(
                [sys.executable, __file__, "--child", kind, "--work", str(args.work)],
                check=True,
                capture_output=True,
                text=True,
                env=os.environ,
            )
            times.append(json.loads(out.stdout)["s"])
    rows = {k: (statistics.median(v), min(v), max(v)) for k, v in runs.items()}
    floor = rows["duckdb"][0]
    print("| what | median s | min–max s | events/s | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for kind, label in (("duckdb", "DuckDB read_json + unnest"), ("analyzer", "analyzer ingest")):
        med, lo, hi = rows[kind]
        ratio = "floor" if kind == "duckdb" else f"{med / floor:.2f}x"
        print(f"| {label} | {med:.2f} | {lo:.2f}–{hi:.2f} | {args.events / med:,.0f} | {ratio} |")
    db.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
