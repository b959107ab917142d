"""Audit of the query plans: every statement that detect and report run, profiled.

    .venv/bin/python benchmarks/plans.py CASE.duckdb              # rules, then the report
    .venv/bin/python benchmarks/plans.py CASE.duckdb --no-report  # rules only
    .venv/bin/python benchmarks/plans.py CASE.duckdb --results plans.md

The case's connection is wrapped so that each statement the rules (``Case.findings``)
and the report (``make_report``: story, gaps, proofs, timeline, figures) send to
DuckDB is first run once with DuckDB's JSON profiling on (``EXPLAIN ANALYZE``'s
numbers, per operator). The table lists each statement with its origin (rule id, the
report's query file such as ``gaps/silent_host.sql``, or the analyzer function that
sent it), its time, the rows it read at most in one
operator, and its joins. A join that is not a hash join is flagged when both its
inputs multiply to ``--flag-pairs`` or more (and the smaller has 100 rows or more): a
nested-loop, blockwise, piecewise merge or inequality join, or a cross product is
quadratic and must have a bound. A hash join with a range condition beside its
equality is marked ``range`` and listed apart: it compares every pair of equal keys,
so it is linear only when the key has many values (a join on a generation) and
quadratic when it has few (a join on the source of a line); read each one. Any join
whose output is ``--flag-pairs`` rows or more and ``FANOUT`` times its larger input is
flagged too: an equality on a key with few values multiplies rows (a correlated
subquery per row, run as a join of every row with every line of its file, did). ASOF
joins sort both inputs (n log n) and are listed with their input sizes. DuckDB's spill
is capped (``--max-temp``): an unbounded plan fails instead of filling the disk.

The statements run twice (profiled, then for real): the times are of the profiled run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHOWN_ROWS = 1000  # joins with a smaller largest input are left out of the table
FLAG_MIN_ROWS = 100  # a join against a handful of rows (a scalar, a setting) is linear
FANOUT = 10  # a join with this many times the rows of its larger input multiplies rows
QUADRATIC = {
    "NESTED_LOOP_JOIN",
    "BLOCKWISE_NL_JOIN",
    "PIECEWISE_MERGE_JOIN",
    "IE_JOIN",
    "CROSS_PRODUCT",
    "POSITIONAL_SCAN",
}


@dataclass
class Statement:
    origin: str
    sql: str
    seconds: float = 0.0
    max_rows: int = 0
    joins: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    ranged: list[str] = field(default_factory=list)  # hash joins with a range condition
    top: str = ""


def _operators(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for child in node.get("children", []):
        out.append(child)
        out.extend(_operators(child))
    return out


def _rows(node: dict[str, Any]) -> int:
    return int(node.get("operator_cardinality", node.get("intermediate_rows", 0)) or 0)


def analyse(profile: dict[str, Any], stmt: Statement, flag_pairs: int) -> None:
    """Fill ``stmt`` from DuckDB's JSON profile of one statement."""
    ops: list[dict[str, Any]] = []
    for root in profile.get("operator", []) or profile.get("children", []):
        ops.append(root)
        ops.extend(_operators(root))
    if not ops:
        return
    stmt.max_rows = max(_rows(o) for o in ops)
    slowest = max(ops, key=lambda o: o.get("timing", o.get("operator_timing", 0)) or 0)
    stmt.top = f"{slowest.get('type', slowest.get('operator_type'))} " + (
        f"{slowest.get('timing', slowest.get('operator_timing', 0)):.2f} s"
    )
    for o in ops:
        kind = str(o.get("type", o.get("operator_type")))
        if "JOIN" not in kind and kind != "CROSS_PRODUCT":
            continue
        sizes = [_rows(c) for c in o.get("children", [])]
        conditions = str((o.get("extra_info") or {}).get("Conditions", ""))
        ranged = kind != "ASOF_JOIN" and any(op in conditions for op in ("<", ">"))
        text = f"{kind}({'×'.join(f'{s:,}' for s in sizes)}→{_rows(o):,})" + (
            " range" if ranged else ""
        )
        if max(sizes, default=0) >= SHOWN_ROWS:
            stmt.joins.append(text)
        if ranged and len(sizes) == 2 and sizes[0] * sizes[1] >= flag_pairs:
            stmt.ranged.append(text)
        quadratic = (
            kind in QUADRATIC
            and len(sizes) == 2
            and min(sizes) >= FLAG_MIN_ROWS
            and sizes[0] * sizes[1] >= flag_pairs
        )
        fanout = _rows(o) >= flag_pairs and _rows(o) >= FANOUT * max(sizes, default=0)
        if quadratic or fanout:
            stmt.flagged.append(text + (" fan-out" if fanout else ""))


class ProfilingConnection:
    """A DuckDB connection that profiles each statement before running it."""

    def __init__(self, con: Any, labels: dict[str, str], flag_pairs: int, out: list[Statement]):
        self._con = con
        self._labels = labels
        self._flag_pairs = flag_pairs
        self._out = out
        self._profile = Path(tempfile.mkdtemp()) / "profile.json"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def _origin(self, sql: str) -> str:
        for key, label in self._labels.items():
            if key in sql:
                return label
        for frame in reversed(traceback.extract_stack()[:-3]):
            if "/analyzer/" in frame.filename:
                return f"{Path(frame.filename).stem}.{frame.name}"
        return "?"

    def _profiled(self, sql: str, params: Any) -> None:
        for statement in self._con.extract_statements(sql):
            query = statement.query
            if not query.strip():
                continue
            stmt = Statement(self._origin(sql), query)
            con = self._con
            con.execute("SET enable_profiling = 'json'")
            con.execute(f"SET profiling_output = '{self._profile}'")
            t0 = time.perf_counter()
            try:
                con.execute(query, params) if params else con.execute(query)
                if con.description:
                    con.fetchall()
            finally:
                stmt.seconds = time.perf_counter() - t0
                con.execute("SET enable_profiling = 'no_output'")
            with contextlib.suppress(OSError, ValueError):  # no profile: no plan to show
                analyse(json.loads(self._profile.read_text()), stmt, self._flag_pairs)
            self._out.append(stmt)

    def sql(self, query: str, params: Any = None, **kw: Any) -> Any:
        if _is_read(query):
            self._profiled(query, params)
            return self._con.sql(query, params=params, **kw)
        # a write: its one run is the profiled one
        self._profiled(query, params)
        return None

    def execute(self, query: str, params: Any = None) -> Any:
        if _is_read(query):
            self._profiled(query, params)
            return self._con.execute(query, params) if params else self._con.execute(query)
        self._profiled(query, params)
        return self._con


def _is_read(sql: str) -> bool:
    """Whether ``sql`` reads (its result is fetched), not writes; comments skipped."""
    code = [ln for ln in sql.splitlines() if ln.strip() and not ln.lstrip().startswith("--")]
    head = code[0].lstrip().upper() if code else ""
    return head.startswith(("SELECT", "WITH", "FROM", "(", "SUMMARIZE", "DESCRIBE", "VALUES"))


def markdown(stmts: list[Statement], top: int) -> str:
    rows = sorted(stmts, key=lambda s: -s.seconds)[:top]
    head = ["origin", "s", "max rows", "slowest operator", "joins (input rows → output)"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for s in rows:
        joins = ", ".join(s.joins) or "small"
        mark = " **" + "; ".join(s.flagged) + "**" if s.flagged else ""
        lines.append(f"| {s.origin} | {s.seconds:.2f} | {s.max_rows:,} | {s.top} | {joins}{mark} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", type=Path)
    parser.add_argument("--no-report", action="store_true", help="profile the rules only")
    parser.add_argument("--top", type=int, default=40, help="statements shown, slowest first")
    parser.add_argument(
        "--flag-pairs", type=int, default=10_000_000, help="input rows multiplied, to flag"
    )
    parser.add_argument("--results", type=Path, help="also write the table (markdown) here")
    parser.add_argument("--max-temp", default="8GB", help="DuckDB's spill cap for the audit")
    args = parser.parse_args(argv)

    from analyzer import open_case
    from analyzer.report import make_report
    from analyzer.report.queries import FINDINGS, load_queries
    from analyzer.rules.loader import load_rules

    ruleset = load_rules()
    labels = {}
    for rule in ruleset.rules.values():
        labels[rule.wrapped_sql()] = rule.id
    for name, query in load_queries().items():  # queries/{gaps,timeline,proofs}/*.sql
        labels[query.sql.split(FINDINGS)[0][:200]] = f"{name}.sql"
    for path, sql in ruleset.derived:
        for part in sql.split(";"):
            if len(part.strip()) > 40:
                labels[part.strip()[:200]] = Path(path).name
    stmts: list[Statement] = []
    t0 = time.perf_counter()
    with open_case(args.case) as case:
        case.con.execute("SET max_temp_directory_size = ?", [args.max_temp])
        case.con = ProfilingConnection(case.con, labels, args.flag_pairs, stmts)  # type: ignore[assignment]
        findings = case.findings()
        t_detect = time.perf_counter() - t0
        if not args.no_report:
            with tempfile.TemporaryDirectory() as out:
                make_report(case, findings, out)
    total = time.perf_counter() - t0
    flagged = [s for s in stmts if s.flagged]
    summary = (
        f"{len(stmts)} statements, detect {t_detect:.1f} s, all {total:.1f} s (each run twice); "
        f"{len(flagged)} with a quadratic join (inputs multiplying to "
        f"{args.flag_pairs:,} or more)"
    )
    ranged = [s for s in stmts if s.ranged]
    summary += f"; {len(ranged)} with a large range hash join, to read: " + (
        ", ".join(f"{s.origin} {'; '.join(s.ranged)}" for s in ranged) or "none"
    )
    table = markdown(stmts, args.top)
    print(f"{summary}\n\n{table}")
    for s in flagged:
        print(f"\n-- flagged: {s.origin}: {'; '.join(s.flagged)}\n{s.sql[:2000]}", file=sys.stderr)
    if args.results:
        args.results.write_text(f"{summary}\n\n{table}\n")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
