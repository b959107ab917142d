"""``analyzer ingest``, ``analyzer quarantine`` and ``analyzer sql``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..case import Case, default_case_path, open_case
from ..ingest.pipeline import FileResult
from .common import CliError, case_from_db, db_option, format_option, handle_errors, tz_options
from .output import emit


class _ProgressBar:
    """Progress on stderr for files big enough to wait for (stdout stays clean)."""

    MIN_BYTES = 8 * 1024 * 1024

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self._open = False

    def __call__(self, file: str, done: int, total: int) -> None:
        if not self.enabled or total < self.MIN_BYTES:
            return
        pct = 100 * done // max(total, 1)
        click.echo(f"\r{file}: {pct:3d}% of {total / 2**20:,.0f} MiB", err=True, nl=False)
        self._open = True

    def close(self) -> None:
        if self._open:
            click.echo("", err=True)
            self._open = False


def run_ingest(
    case: Case,
    log_dir: Path,
    assume_tz: str,
    quiet: bool = False,
    assume_year: int | None = None,
) -> list[FileResult]:
    """Ingest with a progress bar on stderr (shared by ingest, detect, report, audit)."""
    bar = _ProgressBar(enabled=not quiet)
    try:
        return case.ingest(log_dir, assume_tz=assume_tz, assume_year=assume_year, progress=bar)
    finally:
        bar.close()


_SUMMARY_COLUMNS = ["file", "source", "lines", "loaded", "quarantined", "status", "message"]


@click.command()
@click.argument("log_dir", type=click.Path(file_okay=False, path_type=Path))
@db_option
@format_option("table", "json")
@tz_options
@click.option("--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def ingest(
    log_dir: Path, db: Path | None, fmt: str, assume_tz: str, assume_year: int | None, quiet: bool
) -> None:
    """Load a directory of logs into a case database (incremental: new lines only).

    Every file below LOG_DIR (any depth, .gz too) is recognised by its content. Lines
    that cannot be parsed are quarantined with file, line and reason; files of no
    known source are listed as skipped. Per file: lines = loaded + quarantined.
    """
    if not log_dir.exists():
        raise CliError(f"no such directory: {log_dir}")
    db = db or default_case_path(log_dir)
    with open_case(db) as case:
        results = run_ingest(case, log_dir, assume_tz, quiet or fmt == "json", assume_year)
    emit(_SUMMARY_COLUMNS, [[getattr(r, c) for c in _SUMMARY_COLUMNS] for r in results], fmt)
    if fmt == "json":
        return
    totals = [
        sum(r.lines for r in results),
        sum(r.loaded for r in results),
        sum(r.quarantined for r in results),
    ]
    click.echo(
        f"{len(results)} files: {totals[0]} lines, {totals[1]} loaded, {totals[2]} quarantined "
        f"-> {db}",
        err=True,
    )


@click.command()
@db_option
@format_option("table", "json")
@handle_errors
def quarantine(db: Path | None, fmt: str) -> None:
    """List the quarantined lines of a case: file, line, reason and the raw text."""
    with case_from_db(db) as case:
        df = case.sql("SELECT file, line, reason, raw FROM quarantine ORDER BY file, line")
    emit(df.columns, df.rows(), fmt)


@click.command()
@click.argument("query")
@db_option
@format_option("table", "csv", "json")
@handle_errors
def sql(query: str, db: Path | None, fmt: str) -> None:
    """Run a SQL query over a case (tables: plans, enactor_events, dns_queries, ...)."""
    with case_from_db(db) as case:
        df = case.sql(query)
    emit(df.columns, df.rows(), fmt)
