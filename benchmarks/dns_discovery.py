"""Benchmark: ``dns_resolution_failure`` with name discovery, against the raw engine.

    .venv/bin/python benchmarks/dns_discovery.py                 # 10M queries, 5 runs
    .venv/bin/python benchmarks/dns_discovery.py --rows 1000000 --repeat 3

A case database of ``--rows`` DNS queries over 24 hours is built in SQL (kept in
``benchmarks/data/``, git-ignored, reused while its options match) with the mess a
real resolver sees: 20,000 names that resolve, with Zipf-like popularity and 0.2%
sporadic SERVFAIL; a long tail of NXDOMAIN names (about 5% of the queries, most
names asked once or twice: search-domain suffixes, DGA-like noise); a few hundred
typo and blocked names that never resolve and are asked all day; and one name that
resolves and then answers NODATA for two hours (the outage to discover).

Timed, each in its own process, median of ``--repeat`` runs: the rule as
``Case.findings(rules=["dns_resolution_failure"])`` (discovery on: no name given)
and, as the floor, the raw engine's one aggregate every answer needs at least
(``SELECT qname, count(*), count(*) FILTER (failed) ... GROUP BY qname``). The
script asserts that the outage is found and nothing else. Results: ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "data"
OUTAGE = "orders.us-east-1.example.com"

# Fills dns_queries with $rows queries. Everything derives from hash(i): deterministic.
_FILL = """
INSERT INTO dns_queries BY NAME
WITH r AS (
    SELECT i, hash(i) AS h, hash(i * 7919 + 1) AS g FROM range($rows) t(i)
), k AS (
    SELECT i, g,
        TIMESTAMPTZ '2025-10-20 00:00:00+00' + to_microseconds((h % 86400000000)::BIGINT) AS ts,
        CASE WHEN h % 1000 < 50 THEN 'tail'       -- 5%: NXDOMAIN long tail
             WHEN h % 1000 < 60 THEN 'typo'       -- 1%: typos and blocked names
             WHEN h % 1000 < 62 THEN 'outage'     -- 0.2%: the name that goes down
             ELSE 'ok' END AS kind
    FROM r
), n AS (
    SELECT i, ts, kind, g,
        CASE kind
            WHEN 'tail' THEN 'x' || (g % 2000000) || '.corp.example.internal'
            WHEN 'typo' THEN 'typo' || (g % 300) || '.exmaple.com'
            WHEN 'outage' THEN $outage
            -- Zipf-like: name k with probability ~ 1/k
            ELSE 'svc' || floor(exp(ln(20000) * ((g % 1000003) / 1000003.0)))::BIGINT
                 || '.example.com' END AS qname
    FROM k
)
SELECT ts, qname, 'A' AS qtype, 'IN' AS qclass,
    CASE WHEN kind IN ('tail', 'typo') THEN 'NXDOMAIN'
         WHEN kind = 'ok' AND g % 1000 < 2 THEN 'SERVFAIL' ELSE 'NOERROR' END AS rcode,
    CASE WHEN kind = 'outage' AND ts BETWEEN TIMESTAMPTZ '2025-10-20 10:00:00+00'
                                         AND TIMESTAMPTZ '2025-10-20 12:00:00+00'
         THEN []::VARCHAR[] WHEN kind IN ('tail', 'typo') THEN []::VARCHAR[]
         ELSE ['10.0.0.1'] END AS answers,
    NULL AS answer_types,
    kind IN ('tail', 'typo') OR (kind = 'ok' AND g % 1000 < 2)
        OR (kind = 'outage' AND ts BETWEEN TIMESTAMPTZ '2025-10-20 10:00:00+00'
                                       AND TIMESTAMPTZ '2025-10-20 12:00:00+00') AS failed,
    '10.1.' || (g % 250) || '.' || (g % 200) AS client, 'bench' AS source_format,
    'dns/bench-' || (i % 8) || '.jsonl' AS file, i // 8 + 1 AS line
FROM n
"""
RAW = """SELECT count(*) FROM (SELECT qname, count(*), count(*) FILTER (WHERE failed)
         FROM dns_queries WHERE ts IS NOT NULL AND failed IS NOT NULL GROUP BY qname)"""


def build(db: Path, rows: int) -> None:
    from analyzer import open_case

    meta = db.with_suffix(".json")
    if db.exists() and meta.exists() and json.loads(meta.read_text()) == {"rows": rows}:
        return
    db.unlink(missing_ok=True)
    with open_case(db) as case:
        case.con.execute(_FILL, {"rows": rows, "outage": OUTAGE})
    meta.write_text(json.dumps({"rows": rows}))


def step(db: Path, what: str) -> None:
    """Runs in a subprocess: prints the seconds the step took (after the imports)."""
    from analyzer import open_case

    with open_case(db, read_only=True) as case:
        start = time.perf_counter()
        if what == "rule":
            found = case.findings(rules=["dns_resolution_failure"]).records()
            result = [(f["endpoint"], f["severity"]) for f in found]
        else:
            result = case.con.execute(RAW).fetchall()[0][0]
        elapsed = time.perf_counter() - start
    print(json.dumps({"s": elapsed, "result": result}))


def measure(db: Path, what: str, repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--step", what, "--db", str(db)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        got = json.loads(out.strip().splitlines()[-1])
        times.append(got["s"])
        result = got["result"]
    return times, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--step", choices=["rule", "raw"], help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        step(args.db, args.step)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    db = args.work / f"dns-discovery-{args.rows}.duckdb"
    t0 = time.perf_counter()
    build(db, args.rows)
    print(f"case of {args.rows:,} queries ready in {time.perf_counter() - t0:.1f} s", flush=True)
    raw, _ = measure(db, "raw", args.repeat)
    rule, found = measure(db, "rule", args.repeat)
    assert found == [[OUTAGE, "critical"]], found
    r, w = statistics.median(raw), statistics.median(rule)
    print(f"raw engine aggregate: median {r:.2f} s ({min(raw):.2f}-{max(raw):.2f})")
    print(
        f"dns_resolution_failure with discovery: median {w:.2f} s ({min(rule):.2f}-{max(rule):.2f})"
    )
    print(f"ratio {w / r:.2f}x; found {found}")


if __name__ == "__main__":
    main()
