"""``analyzer ingest``, ``analyzer quarantine`` and ``analyzer sql``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from ..case import Case, open_case
from ..ingest.pipeline import FileResult
from ..profiles import Profile, load_profiles
from .common import (
    CliError,
    case_options,
    db_option,
    dir_case_path,
    existing_case,
    format_option,
    handle_errors,
    tz_options,
)
from .output import emit, to_json
from .profiles import profiles_option
from .progress import Progress


def run_ingest(
    case: Case,
    log_dir: Path,
    assume_tz: str,
    quiet: bool = False,
    assume_year: int | None = None,
    profiles: Sequence[Profile] = (),
) -> list[FileResult]:
    """Ingest with progress on stderr (shared by ingest, detect, report, audit)."""
    bar = Progress(enabled=not quiet)
    bar.start_ingest(log_dir)
    try:
        return case.ingest(
            log_dir, assume_tz=assume_tz, assume_year=assume_year, progress=bar, profiles=profiles
        )
    finally:
        bar.close()


def ingest_summary(results: list[FileResult], log_dir: Path, case_path: Path | None) -> str:
    """One line for stderr: what the ingest added, or ``nothing new`` on a rerun."""
    fresh = [r for r in results if r.status != "unchanged"]
    if not fresh:
        return f"nothing new in {log_dir} ({len(results)} files unchanged); case {case_path}"
    lines = sum(r.lines for r in fresh)
    bad = sum(r.quarantined for r in fresh)
    kept = len(results) - len(fresh)
    return (
        f"ingested {len(fresh)} files ({lines} lines, {bad} quarantined)"
        + (f", {kept} unchanged" if kept else "")
        + f" into {case_path}"
    )


_SUMMARY_COLUMNS = ["file", "source", "lines", "loaded", "quarantined", "status", "message"]


@click.command()
@click.argument("log_dir", type=click.Path(file_okay=False, path_type=Path))
@db_option
@format_option("table", "json")
@tz_options
@click.option("--quiet", is_flag=True, help="No progress bar.")
@profiles_option
@handle_errors
def ingest(
    log_dir: Path,
    db: Path | None,
    fmt: str,
    assume_tz: str,
    assume_year: int | None,
    quiet: bool,
    profile_dirs: tuple[Path, ...],
) -> None:
    """Load a directory of logs into a case database (incremental: new lines only).

    Every file below LOG_DIR (any depth, .gz too) is recognised by its content. Lines
    that cannot be parsed are quarantined with file, line and reason; files of no
    known source are listed as skipped. Per file: lines = loaded + quarantined.
    """
    if not log_dir.exists():
        raise CliError(f"no such directory: {log_dir}")
    profiles = load_profiles(*profile_dirs)
    db = dir_case_path(log_dir, db)
    with open_case(db) as case:
        results = run_ingest(
            case, log_dir, assume_tz, quiet or fmt == "json", assume_year, profiles
        )
    rows = [[getattr(r, c) for c in _SUMMARY_COLUMNS] for r in results]
    if fmt == "json":
        files = [dict(zip(_SUMMARY_COLUMNS, r, strict=True)) for r in rows]
        click.echo(to_json({"case": str(db), "root": str(log_dir), "files": files}))
        return
    emit(_SUMMARY_COLUMNS, rows, fmt)
    totals = [
        sum(r.lines for r in results),
        sum(r.loaded for r in results),
        sum(r.quarantined for r in results),
    ]
    click.echo(
        f"{len(results)} files: {totals[0]} lines, {totals[1]} loaded, {totals[2]} quarantined",
        err=True,
    )
    click.echo(f"case: {db}", err=True)


@click.command()
@case_options
@format_option("table", "json")
@handle_errors
def quarantine(path: Path | None, db: Path | None, fmt: str) -> None:
    """List the quarantined lines of a case: file, line, reason and the raw text.

    PATH is a case database or a log directory (the case ``detect``/``ingest`` made).
    """
    with existing_case(path, db) as case:
        df = case.sql("SELECT file, line, reason, raw FROM quarantine ORDER BY file, line")
    emit(df.columns, df.rows(), fmt)
