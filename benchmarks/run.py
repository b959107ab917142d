"""Benchmark: the analyzer against the raw engines, on the simulator's scale data.

    .venv/bin/python benchmarks/run.py                  # make bench: 10M lines, 3 runs
    .venv/bin/python benchmarks/run.py --lines 1000000 --repeat 1 --steps ingest
    .venv/bin/python benchmarks/run.py --sizes 1000000,10000000,30000000 --steps scaling

The data comes from ``analyzer.simulate.simulate("scale", ...)`` and is kept in the
work directory (``benchmarks/data/``, git-ignored) for the next run. Every measured
step runs in its own subprocess, so its peak resident memory is its own (read with
``os.wait4``) and no step warms the caches of the next one in-process; the time is
measured inside the subprocess, after the imports, and includes closing the database
(its checkpoint). Each step runs ``--repeat`` times (polars ``--polars-repeat``
times, once by default: it takes over a minute); the table shows the median. The
ingest runs of the analyzer and of ``read_json`` alternate, and their ratio is the
median of the pairs' ratios (wall and CPU): on a loaded machine the two runs of a
pair see about the same load. The whole default run takes about 25 minutes on 2
quiet cores (plus the data, generated once: 22 GB, the skewed set included); results:
``RESULTS.md``.

Steps (``--steps``, comma-separated; all by default):

* ``ingest``: Route 53 Resolver lines (``dns/`` of the data set, plain and gzip) by
  ``Case.ingest``, by DuckDB's ``read_json`` of the same fields with the same types
  into a table of a database file (the floor for this stack), by that ``read_json``
  plus what no ingest keeping the guarantees can skip (``step_floor``: the sha256 of
  each file, and of a gzip file's content, and its line ends counted), and by polars
  ``scan_ndjson`` (collected in memory: polars has no table store). The analyzer's
  ratio is given against both floors.
* ``logfmt``: the Enactor logs (``enactor/``), lines per second.
* ``detect``: every rule (``Case.findings()``) on the case of the whole data set
  (DNS and about 0.9 million control-plane lines, ingested once and shown once).
* ``reingest``: ``Case.ingest`` of that unchanged directory again.
* ``clocks``: the ordering model and ``clock_skew`` (``Case.findings(rules=["clock_skew"])``,
  with the derived state the rules share) on that case, about 10.9 million events,
  against DuckDB's one aggregate pass over every event's clock and time (the floor:
  the model must read each event once).
* ``scaling``: at each of ``--sizes`` DNS lines (1M, 10M, 30M...) beside the same
  control plane, time and peak memory of the ingest of the whole directory, of
  ``detect`` (every rule) and of ``report`` (every rule again, then the whole report).
* ``skew``: ``detect`` (every rule) on the ``--lines`` set with one host's clock off by
  seconds (``skewed.SKEWED``), paired with ``detect`` on the set without it; both runs'
  findings are checked against the simulator's ground truth (``skewed.py``).

This is a script, not a test: it takes minutes and writes gigabytes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import skewed

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORK = ROOT / "benchmarks" / "data"
STEPS = ("ingest", "logfmt", "detect", "reingest", "clocks", "skew", "scaling")

# The control plane of the benchmark case: 24 hours of 150 endpoints is about 0.9
# million Planner, Enactor and Operator lines (the DNS lines are set exactly).
CONTROL = {"hours": 24.0, "endpoints": 150}

# The Route 53 Resolver fields the analyzer keeps in typed columns, for the raw engines.
RAW_COLUMNS = {
    "query_timestamp": "TIMESTAMPTZ",
    "query_name": "VARCHAR",
    "query_type": "VARCHAR",
    "query_class": "VARCHAR",
    "rcode": "VARCHAR",
    "answers": 'STRUCT("Rdata" VARCHAR, "Type" VARCHAR, "Class" VARCHAR)[]',
    "srcaddr": "VARCHAR",
    "srcport": "INTEGER",
    "transport": "VARCHAR",
    "vpc_id": "VARCHAR",
}


# -- the measured steps, each run in a child process ------------------------------------
def _fresh(db: Path) -> None:
    for p in (db, Path(f"{db}.wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(f"{db}.tmp", ignore_errors=True)


def step_analyzer_ingest(src: str, db: str) -> dict[str, Any]:
    from analyzer import open_case

    _fresh(Path(db))
    t0 = time.perf_counter()
    with open_case(db) as case:
        results = case.ingest(src)
    seconds = time.perf_counter() - t0
    lines = sum(r.lines for r in results)
    assert all(r.lines == r.loaded + r.quarantined for r in results)
    return {"seconds": seconds, "lines": lines}


def step_duckdb_read_json(src: str, db: str) -> dict[str, Any]:
    import duckdb

    _fresh(Path(db))
    columns = "{" + ", ".join(f"{k}: '{v}'" for k, v in RAW_COLUMNS.items()) + "}"
    t0 = time.perf_counter()
    con = duckdb.connect(db)
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""CREATE TABLE dns AS SELECT * FROM read_json(?, format = 'newline_delimited',
                columns = {columns}, filename = true)""",
        [src],
    ).fetchall()
    lines = con.execute("SELECT count(*) FROM dns").fetchall()[0][0]
    con.close()
    return {"seconds": time.perf_counter() - t0, "lines": lines}


def _guarantees(paths: list[Path], out: dict[str, int]) -> None:
    """What no ingest that keeps the guarantees can skip: each file's sha256, for gzip the
    content's too (inflated here, as DuckDB inflates its own copy), and the line ends."""
    import hashlib
    import zlib

    import numpy as np

    def count(data: Any, n: int) -> int:  # vectorised: 4x bytes.count
        return int(np.count_nonzero(np.frombuffer(data, np.uint8, n) == 10))

    buf = bytearray(16 * 1024 * 1024)
    for path in paths:
        sha, content = hashlib.sha256(), hashlib.sha256()
        dec = zlib.decompressobj(wbits=31) if path.suffix == ".gz" else None
        with path.open("rb") as fh, memoryview(buf) as view:
            while got := fh.readinto(buf):
                sha.update(view[:got])
                if dec is None:
                    out["lines"] += count(buf, got)
                    continue
                data = view[:got].tobytes()
                while data:
                    block = dec.decompress(data, 4 * 1024 * 1024)
                    content.update(block)
                    out["lines"] += count(block, len(block))
                    data = dec.unconsumed_tail or (dec.unused_data if dec.eof else b"")
                    if dec.eof:  # a file of several members
                        dec = zlib.decompressobj(wbits=31)


def step_floor(src: str, db: str) -> dict[str, Any]:
    """``step_duckdb_read_json`` beside a thread doing ``_guarantees``. For gzip, DuckDB
    inflating the file while the thread inflates it again costs the same CPU as the
    thread inflating it once into a FIFO for DuckDB, and DuckDB holds a FIFO's whole
    content in memory (1.0-1.15 GB against 0.29 GB for a 772 MB content)."""
    import glob
    import threading

    counted = {"lines": 0}
    worker = threading.Thread(
        target=_guarantees, args=(sorted(Path(p) for p in glob.glob(src)), counted)
    )
    t0 = time.perf_counter()
    worker.start()
    result = step_duckdb_read_json(src, db)
    worker.join()
    assert result["lines"] == counted["lines"], (result, counted)
    return {"seconds": time.perf_counter() - t0, "lines": result["lines"]}


def step_polars_scan_ndjson(src: str, db: str) -> dict[str, Any]:
    import polars as pl

    # Polars infers the nested ``answers`` type faster than it reads it with a given
    # schema (6 s against 11 s for 1.85M lines), so it infers, then keeps the same fields.
    t0 = time.perf_counter()
    df = (
        pl.scan_ndjson(src, include_file_paths="file")
        .select(*RAW_COLUMNS, "file")
        .with_columns(
            pl.col("query_timestamp").str.to_datetime(time_zone="UTC"),
            pl.col("srcport").cast(pl.Int32, strict=False),
        )
        .collect()
    )
    return {"seconds": time.perf_counter() - t0, "lines": df.height}


def step_analyzer_detect(src: str, db: str) -> dict[str, Any]:
    from analyzer import open_case

    t0 = time.perf_counter()
    with open_case(db) as case:
        findings = case.findings()
    seconds = time.perf_counter() - t0
    rules = sorted({r["rule"] for r in findings.records()})
    return {"seconds": seconds, "findings": len(findings.records()), "rules": rules}


def step_analyzer_clock_skew(src: str, db: str) -> dict[str, Any]:
    from analyzer import open_case

    t0 = time.perf_counter()
    with open_case(db, read_only=True) as case:
        findings = case.findings(rules=["clock_skew"]).records()
    return {"seconds": time.perf_counter() - t0, "findings": len(findings)}


def step_duckdb_clock_scan(src: str, db: str) -> dict[str, Any]:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(db, read_only=True)
    rows = con.execute(
        """SELECT clock, count(*), min(ts), max(ts) FROM (
               SELECT host AS clock, ts FROM enactor_events
               UNION ALL SELECT host, ts FROM planner_events
               UNION ALL SELECT file, ts FROM operator_actions
               UNION ALL SELECT coalesce(server, file), ts FROM dns_queries)
           GROUP BY clock"""
    ).fetchall()
    events = sum(r[1] for r in rows)
    con.close()
    return {"seconds": time.perf_counter() - t0, "events": events}


def step_analyzer_reingest(src: str, db: str) -> dict[str, Any]:
    from analyzer import open_case

    t0 = time.perf_counter()
    with open_case(db) as case:
        results = case.ingest(src)
    seconds = time.perf_counter() - t0
    changed = [r.file for r in results if r.status != "unchanged"]
    return {"seconds": seconds, "files": len(results), "changed": changed}


def step_analyzer_report(src: str, db: str) -> dict[str, Any]:
    """Every rule, then the whole report (story, gaps, proofs, figures, three formats)."""
    from analyzer import open_case

    out = Path(db).with_suffix(".report")
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    with open_case(db) as case:
        paths = case.report(out)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "files": sorted(p.name for p in paths.values())}


CHILD_STEPS = {
    "analyzer_ingest": step_analyzer_ingest,
    "duckdb_read_json": step_duckdb_read_json,
    "floor": step_floor,
    "polars_scan_ndjson": step_polars_scan_ndjson,
    "analyzer_detect": step_analyzer_detect,
    "analyzer_reingest": step_analyzer_reingest,
    "analyzer_clock_skew": step_analyzer_clock_skew,
    "duckdb_clock_scan": step_duckdb_clock_scan,
    "analyzer_report": step_analyzer_report,
    "analyzer_detect_checked": skewed.step_analyzer_detect_checked,
}


def run_child(step: str, src: str, db: str) -> dict[str, Any]:
    """Run one step in a new interpreter; its result, peak RSS and CPU time.

    ``os.wait4`` gives the rusage of that one child (``RUSAGE_CHILDREN`` would give the
    largest of all). A child's peak RSS starts at its parent's at the fork, so this
    process imports nothing big.
    """
    cmd = [sys.executable, __file__, "--child", step, src, db]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"step {step} on {src} failed (exit {proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


# -- data ---------------------------------------------------------------------------------
def dataset(
    work: Path, lines: int, gzip: bool, seed: int, control: bool, clocks: str | None = None
) -> Path:
    """The simulator's scale data set, generated once and reused while its options match;
    ``clocks``: the simulator's clock faults (``HOST=OFFSET``), a set of its own."""
    options: dict[str, Any] = {"dns_lines": lines, "gzip": gzip, **(CONTROL if control else {})}
    name = f"scale-{lines}-{'gzip' if gzip else 'plain'}{'-control' if control else ''}"
    if clocks:
        options["clocks"] = clocks
        name += "-skewed"
    out = work / name
    stamp = out / "benchmark-options.json"
    wanted = json.dumps({"seed": seed, **options}, sort_keys=True)
    if stamp.exists() and stamp.read_text() == wanted:
        return out
    print(f"generating {name} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    # In a child process: this one stays small, as its children inherit its peak RSS.
    code = (
        "import json, sys; from analyzer.simulate import simulate; "
        "r = simulate('scale', sys.argv[1], int(sys.argv[2]), **json.loads(sys.argv[3])); "
        "print(r.summary())"
    )
    summary = subprocess.run(
        [sys.executable, "-c", code, str(out), str(seed), json.dumps(options)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    stamp.write_text(wanted)
    print(f"  {summary} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return out


def count_lines(directory: Path) -> int:
    """Physical lines of the plain files below ``directory`` (the logfmt input)."""
    total = 0
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            with path.open("rb") as fh:
                while block := fh.read(1 << 24):
                    total += block.count(b"\n")
    return total


# -- measuring and reporting --------------------------------------------------------------
@dataclass
class Row:
    step: str
    what: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    lines: int | None = None
    baseline: Row | None = None
    note: str = ""
    paired: bool = False  # runs interleaved with the baseline's: ratio = median of pairs

    @property
    def seconds(self) -> float:
        return statistics.median(r["seconds"] for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(r["peak_rss_mb"] for r in self.runs)

    def paired_ratio(self, other: Row) -> str:
        """``other``'s runs against this row's, pair by pair (median of the pairs)."""
        pairs = list(zip(other.runs, self.runs, strict=True))
        wall = statistics.median(a["seconds"] / b["seconds"] for a, b in pairs)
        cpu = statistics.median(a["cpu_s"] / b["cpu_s"] for a, b in pairs)
        return f"{wall:.2f}x (CPU {cpu:.2f}x)"

    def cells(self) -> list[str]:
        times = [r["seconds"] for r in self.runs]
        spread = f"{min(times):.2f}–{max(times):.2f}" if len(times) > 1 else ""
        rate = f"{self.lines / self.seconds / 1e3:,.0f}k" if self.lines else ""
        ratio = f"{self.seconds / self.baseline.seconds:.2f}x" if self.baseline else ""
        cpu = statistics.median(r["cpu_s"] for r in self.runs)
        if self.baseline and self.paired:
            ratio = self.baseline.paired_ratio(self)
        return [
            self.step,
            self.what,
            f"{self.seconds:.2f}",
            spread,
            f"{cpu:.1f}",
            rate,
            f"{self.peak_mb:,.0f}",
            ratio,
            self.note,
        ]


HEADER = ["step", "what", "median s", "min–max s", "CPU s", "lines/s", "peak MB", "ratio", ""]


def markdown(rows: list[Row]) -> str:
    table = [HEADER, ["---"] * len(HEADER)] + [r.cells() for r in rows]
    return "\n".join("| " + " | ".join(c) + " |" for c in table)


def measure(step: str, what: str, child: str, src: Path, db: Path, repeat: int, **kw: Any) -> Row:
    row = Row(step, what, **kw)
    for i in range(repeat):
        result = run_child(child, str(src), str(db))
        row.runs.append(result)
        print(
            f"  {step:9s} {what:42s} run {i + 1}: {result['seconds']:7.2f} s, "
            f"{result['peak_rss_mb']:7.0f} MB",
            file=sys.stderr,
            flush=True,
        )
    return row


def skewed_rows(work: Path, data: Path, case: Path, n: int, seed: int, repeat: int) -> list[Row]:
    """detect on the skewed case paired with detect on ``case``, both checked (skewed.py)."""
    skew_data = dataset(work, n, False, seed, control=True, clocks=skewed.SKEWED)
    skew_case = case.with_name("skewed.duckdb")
    print("building the case of the skewed data set ...", file=sys.stderr, flush=True)
    built = run_child("analyzer_ingest", str(skew_data), str(skew_case))
    what = f"analyzer, skewed data set ({skewed.SKEWED} s, built once)"
    rows = [Row("case", what, [built], lines=built["lines"])]
    plain = Row("skew", "detect, no clock off (checked)")
    skew = Row("skew", f"detect, {skewed.SKEWED} s (checked)", baseline=plain, paired=True)
    for _ in range(repeat):
        plain.runs += measure(plain.step, plain.what, "analyzer_detect_checked", data, case,
                              1).runs  # fmt: skip
        skew.runs += measure(skew.step, skew.what, "analyzer_detect_checked", skew_data,
                             skew_case, 1).runs  # fmt: skip
    for row in (plain, skew):
        row.note = skewed.note(row.runs[-1])
        failed = [p for r in row.runs for p in r["problems"]]
        if failed:
            print(f"  {row.what}: ground truth not met: {failed}", file=sys.stderr, flush=True)
    return [*rows, plain, skew]


def machine() -> str:
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    model = ""
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({model}), {mem_kb / 1024**2:.1f} GiB memory, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"DuckDB {version('duckdb')}, polars {version('polars')}; "
        f"load average at start {load[0]:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000_000, help="DNS query lines")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (median shown)")
    parser.add_argument(
        "--polars-repeat", type=int, default=1, help="runs of polars (slow on nested JSON; 0: none)"
    )
    parser.add_argument("--kinds", default="plain,gzip", help="ingest of plain and/or gzip")
    parser.add_argument("--sizes", default="1000000,10000000,30000000", help="scaling sizes")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="data and cases")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"any of {','.join(STEPS)}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results", type=Path, help="also write the table (markdown) here")
    args = parser.parse_args(argv)
    steps = [s for s in args.steps.split(",") if s]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    cases = work / "cases"
    cases.mkdir(exist_ok=True)
    header = machine()
    print(header, file=sys.stderr)
    n = args.lines
    rows: list[Row] = []

    if "ingest" in steps:
        for kind in (k for k in args.kinds.split(",") if k):
            gz = kind == "gzip"
            data = dataset(work, n, gz, args.seed, control=True)
            pattern = str(data / "dns" / ("*.jsonl.gz" if gz else "*.jsonl"))
            # paired and interleaved (raw, floor, analyzer, raw, ...): on a shared machine
            # the runs of a round see about the same load; a ratio is the pairs' median
            raw = Row("ingest", f"DuckDB read_json, {kind}", lines=n, note="floor")
            floor = Row("ingest", f"floor with the guarantees, {kind}", lines=n, baseline=raw,
                        paired=True, note="read_json + sha256 + line ends")  # fmt: skip
            ours = Row("ingest", f"analyzer, {kind}", lines=n, baseline=raw, paired=True)
            for _ in range(args.repeat):
                raw.runs += measure(raw.step, raw.what, "duckdb_read_json", Path(pattern),
                                    cases / "raw.duckdb", 1).runs  # fmt: skip
                floor.runs += measure(floor.step, floor.what, "floor", Path(pattern),
                                      cases / "floor.duckdb", 1).runs  # fmt: skip
                ours.runs += measure(ours.step, ours.what, "analyzer_ingest", data / "dns",
                                     cases / "dns.duckdb", 1).runs  # fmt: skip
            ours.note = f"{floor.paired_ratio(ours)} the floor with the guarantees"
            rows += [raw, floor]
            if args.polars_repeat:
                rows.append(
                    measure(
                        "ingest",
                        f"polars scan_ndjson, {kind}",
                        "polars_scan_ndjson",
                        Path(pattern),
                        cases / "unused.duckdb",
                        args.polars_repeat,
                        lines=n,
                        baseline=raw,
                        note="in memory",
                    )
                )
            rows.append(ours)

    if "logfmt" in steps:
        data = dataset(work, n, False, args.seed, control=True)
        rows.append(
            measure(
                "logfmt",
                "analyzer, Enactor logfmt",
                "analyzer_ingest",
                data / "enactor",
                cases / "enactor.duckdb",
                args.repeat,
                lines=count_lines(data / "enactor"),
            )
        )

    if {"detect", "reingest", "clocks", "skew"} & set(steps):
        data = dataset(work, n, False, args.seed, control=True)
        case = cases / "full.duckdb"
        print("building the case of the whole data set ...", file=sys.stderr, flush=True)
        full = run_child("analyzer_ingest", str(data), str(case))
        rows.append(
            Row("case", "analyzer, whole directory (built once)", [full], lines=full["lines"])
        )
        if "detect" in steps:
            row = measure("detect", "all rules, Case.findings()", "analyzer_detect", data, case,
                          args.repeat)  # fmt: skip
            row.note = f"{row.runs[-1]['findings']} findings"
            rows.append(row)
        if "reingest" in steps:
            row = measure("reingest", "unchanged directory", "analyzer_reingest", data, case,
                          args.repeat)  # fmt: skip
            row.note = f"{row.runs[-1]['files']} files, changed: {row.runs[-1]['changed'] or 0}"
            rows.append(row)
        if "clocks" in steps:
            floor = measure("clocks", "DuckDB, one pass over every event's clock",
                            "duckdb_clock_scan", data, case, args.repeat, note="floor")  # fmt: skip
            floor.lines = floor.runs[-1]["events"]
            rows.append(floor)
            row = measure("clocks", "ordering model + clock_skew", "analyzer_clock_skew", data,
                          case, args.repeat, lines=floor.lines, baseline=floor)  # fmt: skip
            row.note = f"{row.runs[-1]['findings']} findings"
            rows.append(row)
        if "skew" in steps:
            rows += skewed_rows(work, data, case, n, args.seed, args.repeat)

    if "scaling" in steps:
        # The same control plane (about 0.9M lines) beside 1M, 10M, 30M... DNS lines: the
        # whole directory ingested into a new case, every rule, the whole report.
        for size in (int(s) for s in args.sizes.split(",") if s):
            data = dataset(work, size, False, args.seed, control=True)
            case = cases / f"scaling-{size}.duckdb"
            label = f"{size / 1e6:g}M DNS lines"
            ingest = measure("scaling", f"ingest, {label} + control plane", "analyzer_ingest",
                             data, case, 1)  # fmt: skip
            ingest.lines = ingest.runs[-1]["lines"]
            detect = measure("scaling", f"detect, {label}", "analyzer_detect", data, case, 1)
            detect.note = f"{detect.runs[-1]['findings']} findings"
            report = measure("scaling", f"report, {label}", "analyzer_report", data, case, 1)
            report.note = "rules + story + figures, html/md/json"
            rows.extend([ingest, detect, report])
            _fresh(case)  # the next size's case takes its place on disk
            shutil.rmtree(case.with_suffix(".report"), ignore_errors=True)

    table = markdown(rows)
    print(f"\n{header}\n\n{table}")
    if args.results:
        args.results.write_text(f"{header}\n\n{table}\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, name, src_arg, db_arg = sys.argv
        print(json.dumps(CHILD_STEPS[name](src_arg, db_arg)))
        sys.exit(0)
    sys.exit(main())
