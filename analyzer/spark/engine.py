"""Run the rules of ``queries/`` on Spark over a Parquet export (docs/scale.md).

The rules' DuckDB SQL runs unchanged; Spark distributes it:

1. the driver's DuckDB loads the control-plane tables (small), and the DNS queries of
   the names the control plane names (the watched names) only when a global rule
   reads ``dns_queries``;
2. it computes the derived state (``queries/_*.sql``) once, as on one machine: a
   derived table that reads ``dns_queries`` (the clock model's DNS recoveries) is
   computed by one task per name bucket and the buckets' rows combined
   (``derived.py``); then it runs the ``global`` rules;
3. the tables and derived tables the ``by qname`` rules name are broadcast, and one
   Spark task per name bucket runs those rules in its own DuckDB over its bucket:
   read in place by DuckDB (an export at a path), or read by Spark and handed over by
   ``groupBy("bucket").applyInArrow`` (an export at a URL only Spark reads);
4. the findings (small) are collected and ordered as ``Case.findings`` orders them.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from .. import schema
from ..case import Case
from ..errors import InputError, RuleError
from ..parquet import MANIFEST, check_manifest, read_manifest
from ..rules import Findings, Rule, RuleSet, load_rules
from ..rules.loader import BUILTIN_DIR
from ..rules.runner import (
    CLOCKS_FILE,
    check_frame,
    normalise_name,
    select,
    unmentioned_endpoints,
)
from . import worker
from .derived import Task, prepare_on_spark, reads_dns, ship
from .modes import spark_mode
from .session import get_session

# Columns of the control plane that hold DNS names: their names are the watched ones.
NAME_COLUMNS = ("endpoint", "name", "alias_target")


def plan_rules(rules: Iterable[Rule]) -> tuple[list[Rule], list[Rule]]:
    """The selected rules split into (global, by qname); ``RuleError`` naming every rule
    that cannot run on Spark, and why."""
    split: dict[str, list[Rule]] = {"global": [], "qname": []}
    refused = []
    for rule in rules:
        mode, why = spark_mode(rule.spark, rule.tables)
        if mode == "unsupported":
            refused.append(f"{rule.id} ({rule.path.name}): {why}")
        else:
            split[mode].append(rule)
    if refused:
        raise RuleError(
            "cannot run on Spark: " + "; ".join(refused) + " (select the others with --rule)"
        )
    return split["global"], split["qname"]


def _path(root: str, name: str) -> str:
    return f"{root.rstrip('/')}/{name}"


def _manifest(session: Any, root: str) -> dict[str, Any]:
    if "://" not in root:
        return read_manifest(root)
    row = session.read.text(_path(root, MANIFEST), wholetext=True).first()
    return check_manifest(row[0] if row else "", _path(root, MANIFEST))


class SparkCase(Case):
    """A case whose rules run on Spark over a Parquet export.

    It holds, in an in-memory DuckDB, the control plane read from the export (and the
    DNS queries of the watched names, when asked or when the rules need them), so the
    report's final steps (timeline, gaps, figures) run locally on it; ``findings()``
    runs the rules on Spark. Use it as ``Case``: ``SparkCase("s3a://bucket/export/")``.
    """

    def __init__(
        self,
        parquet: str | Path,
        *,
        master: str | None = None,
        session: Any = None,
        watched_dns: bool = False,
        reader: str | None = None,
    ):
        super().__init__(None)
        started = time.perf_counter()
        # seconds per phase (and the broadcast's size), for benchmarks/spark.py
        self.timings: dict[str, float] = {}
        self.parquet = str(parquet)
        # who reads the Parquet files: each process's DuckDB, in place (a path every
        # executor sees: local, NFS, a mounted bucket), or Spark (any URL Spark reads,
        # s3a://...; dns_queries then reaches the tasks by a shuffle by bucket).
        # Default: DuckDB for paths, Spark for URLs.
        self.reader = reader or ("spark" if "://" in self.parquet else "duckdb")
        if self.reader not in ("spark", "duckdb"):
            raise InputError(f"reader must be spark or duckdb, not {reader!r}")
        self.spark = session or get_session(master)
        self.manifest = _manifest(self.spark, self.parquet)
        for table in schema.TABLES:
            if table is schema.DNS_QUERIES or table.name not in self.manifest["tables"]:
                continue  # (a table newer than the export stays empty)
            self.con.execute(f"DELETE FROM {table.name}")  # case_meta: the export's own
            if self.reader == "duckdb":
                self._insert_parquet(table.name, _path(self.parquet, table.name) + "/*.parquet")
            else:
                rows = self.spark.read.parquet(_path(self.parquet, table.name)).toArrow()
                worker.load(self.con, table.name, rows)
            got = self.con.execute(f"SELECT count(*) FROM {table.name}").fetchall()[0][0]
            expected = self.manifest["tables"][table.name]["rows"]
            if got != expected:
                raise InputError(f"{table.name}: read {got} rows, the manifest says {expected}")
        self._watched: set[str] = set()
        if watched_dns:
            self._load_watched()
        self.timings["read"] = time.perf_counter() - started

    def _insert_parquet(self, table: str, files: str, names: list[str] | None = None) -> None:
        cols = ", ".join(f'"{c}"' for c in schema.TABLES_BY_NAME[table].column_names)
        where = "" if names is None else " WHERE qname IN (SELECT unnest($names))"
        self.con.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM read_parquet($files, "
            f"hive_partitioning = false, union_by_name = true){where}",
            {"files": files, **({} if names is None else {"names": names})},
        )

    def __repr__(self) -> str:
        return f"SparkCase({self.parquet!r})"

    @functools.cached_property
    def dns(self) -> Any:
        """``dns_queries`` as a Spark DataFrame (the Spark reader's; with its bucket)."""
        where = _path(self.parquet, "dns_queries")
        return self.spark.read.option("basePath", where).parquet(where)

    def _load_watched(self, extra: Iterable[str] = ()) -> None:
        """Load the DNS queries of the watched names not loaded yet."""
        names = _watched_names(self.con) | {normalise_name(n) for n in extra if n.strip()}
        new = sorted(names - self._watched)
        if new and self.reader == "duckdb":
            files = _path(self.parquet, "dns_queries") + "/**/*.parquet"
            self._insert_parquet("dns_queries", files, new)
        elif new:
            from pyspark.sql import functions as F

            cols = schema.DNS_QUERIES.column_names
            rows = self.dns.filter(F.col("qname").isin(new)).select(*cols).toArrow()
            worker.load(self.con, "dns_queries", rows)
        self._watched |= set(new)

    def findings(
        self,
        rules: list[str] | None = None,
        min_severity: str | None = None,
        params: dict[str, Any] | None = None,
        endpoints: list[str] | None = None,
        rules_dir: str | Path | list[str | Path] | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> Findings:
        """``Case.findings``, on Spark: global rules here, by-qname rules per bucket."""
        extra = rules_dir if isinstance(rules_dir, list) else [rules_dir] if rules_dir else []
        ruleset = load_rules(*extra)
        selected, values = select(ruleset, rules, min_severity, params)
        global_rules, qname_rules = plan_rules(selected)
        started = time.perf_counter()
        # the derived state needs no DNS query here (its tables that read them are
        # computed per bucket); a global rule that reads them gets the watched names'
        if any(reads_dns(r.sql) for r in global_rules) or (self._watched and endpoints):
            self._load_watched(endpoints or ())
        self._prepare(ruleset, endpoints or ())
        self.timings["derived"] = time.perf_counter() - started
        started = time.perf_counter()
        if progress:
            progress(", ".join(r.id for r in global_rules) or "rules", 0, len(selected))
        parts = [
            worker.run_rules_sql(
                self.con,
                [(r.id, str(r.path), r.wrapped_sql(), values[r.id]) for r in global_rules],
            )
        ]
        self.timings["global"] = time.perf_counter() - started
        if qname_rules:
            # ship only the tables the by-qname rules name (the rest goes empty), and
            # shuffle only the dns_queries columns they name
            derived_sql = [(str(p), t) for p, t in ruleset.derived]
            shipment = ship(
                self.con,
                [r.sql for r in qname_rules],
                derived_sql=derived_sql,
                rules=[(r.id, str(r.path), r.wrapped_sql(), values[r.id]) for r in qname_rules],
            )
            sizes = [*shipment.tables.values(), *shipment.derived.values()]
            self.timings["broadcast_mb"] = sum(len(b) for b in sizes) / 1e6
            started = time.perf_counter()
            if progress:
                ids = ", ".join(r.id for r in qname_rules)
                progress(ids, len(global_rules), len(selected))
            parts.append(self._per_bucket(shipment, worker.run_bucket, worker.findings_schema()))
            self.timings["by_qname"] = time.perf_counter() - started
        schema_ = worker.findings_schema()
        frame = pl.from_arrow(pa.concat_tables([p.cast(schema_) for p in parts]))
        assert isinstance(frame, pl.DataFrame)
        frames = [check_frame(r, frame.filter(pl.col("rule") == r.id)) for r in selected]
        if progress:
            progress("done", len(selected), len(selected))
        result = Findings.from_frames(frames)
        result.unmentioned = self._unmentioned()
        return result.at_or_above(min_severity) if min_severity else result

    def _prepare(self, ruleset: RuleSet, endpoints: Iterable[str]) -> None:
        """The derived state of ``ruleset`` on the driver, as ``prepare`` makes it."""
        prepare_on_spark(self.con, ruleset, endpoints, self._per_bucket)
        self._ordering_stale = False

    def _per_bucket(self, shipment: worker.Shipment, task: Task, out: pa.Schema) -> pa.Table:
        """``task(shipment, bucket)`` on every name bucket of dns_queries, by Spark; the
        tasks' rows (schema ``out``)."""
        if self.reader == "duckdb":
            rows = _by_bucket_files(self.spark, self.parquet, self.manifest, shipment, task)
        else:
            rows = _by_bucket(self.spark, self.dns, shipment, task, out)
        return pa.concat_tables([out.empty_table(), *(t.cast(out) for t in rows)])

    def clocks(self) -> pl.DataFrame:
        """``Case.clocks``: the ordering model made as ``findings`` makes it."""
        if self._ordering_stale:
            path = BUILTIN_DIR / CLOCKS_FILE
            self._prepare(RuleSet(derived=[(path, path.read_text(encoding="utf-8"))]), ())
        return super().clocks()

    def _unmentioned(self) -> tuple[str, ...]:
        """The selected names no table mentions (``Case.findings``'s ``unmentioned``),
        their DNS queries looked up in the export."""
        selected = [r[0] for r in self.con.execute("FROM pf_selected_endpoints").fetchall()]
        if not selected:
            return ()
        if self.reader == "duckdb":
            files = _path(self.parquet, "dns_queries") + "/**/*.parquet"
            seen = self.con.execute(
                "SELECT DISTINCT qname FROM read_parquet($files, hive_partitioning = false) "
                "WHERE qname IN (SELECT unnest($names))",
                {"files": files, "names": selected},
            ).fetchall()
        else:
            from pyspark.sql import functions as F

            seen = self.dns.filter(F.col("qname").isin(selected)).select("qname").distinct()
            seen = seen.collect()
        in_dns = {r[0] for r in seen}
        return tuple(n for n in unmentioned_endpoints(self.con) if n not in in_dns)


def run_spark_rules(
    parquet: str | Path, *, master: str | None = None, session: Any = None, **kwargs: Any
) -> Findings:
    """The findings of ``Case.findings(**kwargs)``, computed on Spark from the Parquet
    export at ``parquet`` (a local path or a URL Spark reads, e.g. ``s3a://``)."""
    with SparkCase(parquet, master=master, session=session) as case:
        return case.findings(**kwargs)


def _watched_names(con: Any) -> set[str]:
    """The DNS names the control plane names (plans, Enactor and operator events...)."""
    parts = [
        f'SELECT "{c.name}" AS name FROM {t.name}'
        for t in schema.EVENT_TABLES
        if t is not schema.DNS_QUERIES
        for c in t.columns
        if c.name in NAME_COLUMNS and c.type.startswith("VARCHAR")
    ]
    return {r[0] for r in con.execute(" UNION ".join(parts)).fetchall() if r[0] is not None}


def _by_bucket_files(
    spark: Any, root: str, manifest: dict[str, Any], shipment: worker.Shipment, task: Task
) -> list[pa.Table]:
    """One task per bucket, each reading its bucket's Parquet files with DuckDB."""
    buckets: dict[str, list[str]] = {}
    for f in manifest["tables"]["dns_queries"]["files"]:
        part = [p for p in f["path"].split("/") if p.startswith("bucket=")]
        buckets.setdefault(part[0] if part else "", []).append(_path(root, f["path"]))
    if not buckets:
        return []
    shipped = spark.sparkContext.broadcast(shipment)

    def run(files: list[str]) -> bytes:
        return worker.to_ipc(task(shipped.value, files))

    try:
        groups = list(buckets.values())
        results = spark.sparkContext.parallelize(groups, len(groups)).map(run).collect()
    finally:
        shipped.unpersist()
    return [worker.from_ipc(r) for r in results]


def _by_bucket(
    spark: Any, dns: Any, shipment: worker.Shipment, task: Task, out: pa.Schema
) -> list[pa.Table]:
    """Group dns_queries by name bucket (its columns the shipment names); each group
    runs ``task`` in DuckDB."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    if "bucket" not in dns.columns:  # an empty table is exported unpartitioned
        dns = dns.withColumn("bucket", F.lit(0))
    shipped = spark.sparkContext.broadcast(shipment)

    def run(rows: pa.Table) -> pa.Table:
        return task(shipped.value, rows.drop_columns(["bucket"])).cast(out)

    grouped = dns.select(*shipment.columns, "bucket").groupBy("bucket")
    try:
        return [grouped.applyInArrow(run, from_arrow_schema(out)).toArrow()]
    finally:
        shipped.unpersist()
