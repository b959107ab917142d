"""``analyzer export`` and the ``--engine spark`` options of ``detect`` and ``report``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..case import Case
from ..parquet import DEFAULT_BUCKETS
from .common import CliError, F, case_for, existing_case, handle_errors


def engine_options(func: F) -> F:
    """--engine, --parquet and --spark-master (docs/scale.md)."""
    func = click.option(
        "--spark-master",
        metavar="URL",
        help="Spark master (local[2], spark://host:7077, yarn...); under spark-submit, its own.",
    )(func)
    func = click.option(
        "--parquet",
        metavar="DIR",
        help="With --engine spark: the Parquet export to read (a path or s3a://...).",
    )(func)
    return click.option(
        "--engine",
        type=click.Choice(["duckdb", "spark"]),
        default="duckdb",
        show_default=True,
        help="Where the rules run: this machine's DuckDB, or Spark over --parquet.",
    )(func)


def open_for(
    path: Path | None,
    db: Path | None,
    engine: str,
    parquet: str | None,
    spark_master: str | None,
    *,
    watched_dns: bool = False,
) -> tuple[Case, bool]:
    """The case PATH names (``case_for``), or with ``--engine spark`` the export's."""
    if engine == "spark":
        if not parquet:
            raise CliError("--engine spark needs --parquet DIR (write it with analyzer export)")
        if path is not None:
            raise CliError("with --engine spark the case is the --parquet export: give no PATH")
        from ..spark.engine import SparkCase

        return SparkCase(parquet, master=spark_master, watched_dns=watched_dns), False
    if parquet or spark_master:
        raise CliError("--parquet and --spark-master go with --engine spark")
    if path is None:
        raise CliError("missing PATH: a log directory or a case database")
    return case_for(path, db, read_only=path.is_file())


@click.command()
@click.argument("case_path", metavar="CASE", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--parquet",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="New directory to write the export to.",
)
@click.option(
    "--buckets",
    type=click.IntRange(1, 4096),
    default=DEFAULT_BUCKETS,
    show_default=True,
    help="Hash buckets of dns_queries by query name (one Spark task each).",
)
@handle_errors
def export(case_path: Path, out: Path, buckets: int) -> None:
    """Export CASE (a case database, or a log directory already ingested) as Parquet.

    Every canonical table, dns_queries partitioned by day and name bucket, and a
    manifest.json (schema version, row counts, sha256 of the source files and of every
    Parquet file). Run the rules on it with: analyzer detect --engine spark --parquet DIR.
    """
    with existing_case(case_path, None) as case:
        manifest: dict[str, Any] = case.export_parquet(out, buckets=buckets)
    rows = ", ".join(f"{name} {t['rows']}" for name, t in manifest["tables"].items())
    click.echo(str(out))
    click.echo(f"exported {rows} rows", err=True)
