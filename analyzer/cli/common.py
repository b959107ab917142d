"""Options and error handling shared by the commands."""

from __future__ import annotations

import functools
import io
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
import duckdb

from ..case import Case, default_case_path, open_case, refuse_inside_evidence
from ..errors import AnalyzerError
from ..textsafe import visible

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a Unix tool whose reader went away."""
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class CliError(click.ClickException):
    """A user or input error: one line on stderr, exit code 2."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {visible(self.format_message())}", err=True)


def handle_errors(func: F) -> F:
    """Turn library errors into ``CliError`` (exit 2, one line on stderr)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return func(*args, **kwargs)
            finally:
                sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        except BrokenPipeError:
            _silence_stdout()
            raise SystemExit(EXIT_BROKEN_PIPE) from None
        except AnalyzerError as exc:
            raise CliError(str(exc)) from exc
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            raise CliError(f"{where}{exc.strerror or exc}") from exc

    return wrapper  # type: ignore[return-value]


def _silence_stdout() -> None:
    """The reader of stdout went away (``| head -1``): exit quietly, as Unix tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


class GuardedGroup(click.Group):
    """The command group: Ctrl-C and unexpected errors end with one line, never a
    traceback (``PLAN_FORENSICS_DEBUG=1`` shows the traceback of an unexpected error)."""

    def invoke(self, ctx: click.Context) -> Any:
        previous = _interrupt_once()
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, duckdb.InterruptException):
            exit_interrupted()
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except Exception as exc:
            if _is_interrupt(exc):
                exit_interrupted()
            if os.environ.get("PLAN_FORENSICS_DEBUG"):
                raise
            exit_error(exc)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)


def _is_interrupt(exc: BaseException) -> bool:
    """DuckDB turns a Ctrl-C during a statement into ``RuntimeError('Query interrupted')``,
    and one while it pulls Arrow batches from Python into an error naming it."""
    text = str(exc)
    return (isinstance(exc, RuntimeError) and "interrupted" in text.lower()) or (
        isinstance(exc, duckdb.Error) and "KeyboardInterrupt" in text
    )


def _interrupt_once() -> Any:
    """The first Ctrl-C interrupts; later ones are ignored, so the clean-up it starts
    (rolling back the file being loaded, closing the case) is not cut short. Returns
    the handler it replaced (None outside the main thread, where it does nothing)."""

    def interrupt(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGINT, interrupt)
    except ValueError:
        return None


def exit_interrupted() -> NoReturn:
    """Ctrl-C: one line, exit 130. Each file loads in one transaction, so the case
    holds every file loaded before the interruption and nothing of the file under way."""
    click.echo(
        "interrupted: the case keeps the files loaded before the interruption, none in "
        "part; run the command again to finish",
        err=True,
    )
    sys.exit(EXIT_INTERRUPTED)


def exit_error(exc: BaseException) -> NoReturn:
    """An error no command expected (disk full, I/O, a database error): one line that
    names the path when there is one, exit 2."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        text = f"{where}{exc.strerror}"
    elif isinstance(exc, duckdb.Error):
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    else:
        text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    click.echo(f"error: {visible(text)}", err=True)
    sys.exit(EXIT_USAGE)


def write_output(path: Path, text: str) -> None:
    """Write an output file; a write error (a full disk) names the file."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from exc


def db_option(func: F) -> F:
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Case database (default: derived from the log directory, stored under "
        "$PLAN_FORENSICS_HOME or ~/.local/share/plan-forensics/cases).",
    )(func)


def case_options(func: F) -> F:
    """PATH (optional) and --db naming an existing case: a case database or a log
    directory (the case ``ingest``/``detect`` of that directory made)."""
    func = click.option(
        "--db",
        type=click.Path(path_type=Path),
        help="The case: a case database or a log directory (instead of PATH).",
    )(func)
    return click.argument("path", required=False, type=click.Path(path_type=Path))(func)


def format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format on stdout.",
    )


def window_options(func: F) -> F:
    """--since/--until: only what touches that window (RFC 3339, 2h, yesterday...)."""
    func = click.option(
        "--until",
        metavar="TIME",
        help="Only what happened at or before TIME (same forms as --since).",
    )(func)
    func = click.option(
        "--since",
        metavar="TIME",
        help="Only what happened at or after TIME: RFC 3339, a duration before now (2h, 7d), "
        "today or yesterday (midnight in --tz).",
    )(func)
    return func


def tz_options(func: F) -> F:
    func = click.option(
        "--assume-tz",
        default="UTC",
        show_default=True,
        metavar="ZONE",
        help="Zone of timestamps written without one (the summary says when it was used).",
    )(func)
    func = click.option(
        "--assume-year",
        type=click.IntRange(1970, 2199),  # the range every loaded time must lie in
        default=None,
        metavar="YEAR",
        help="Year of timestamps written without one (syslog); default: the year each file "
        "was last modified (the summary says which was used).",
    )(func)
    return func


def is_case_file(path: Path) -> bool:
    """Is ``path`` a DuckDB database (its header says ``DUCK`` at byte 8)?"""
    try:
        with path.open("rb") as fh:
            return fh.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


def _check_file(path: Path, db: Path | None) -> None:
    if not is_case_file(path):
        raise CliError(
            f"{path} is a file but not a case database; give the directory of logs it is in "
            f"(e.g. {path.parent}) or a case database"
        )
    if db is not None:
        raise CliError(f"{path} is a case database and --db names another: give only one")


def case_for(path: Path, db: Path | None, *, read_only: bool = False) -> tuple[Case, bool]:
    """Open the case for PATH: a case database itself, or a log directory's case.

    Returns the case and whether PATH is a log directory (to be ingested first). A
    log file (not a directory) and a case file given with ``--db`` are usage errors.
    """
    if path.is_file():
        _check_file(path, db)
        return open_case(path, read_only=read_only), False
    if not path.exists():
        raise CliError(f"no such file or directory: {path}")
    return open_case(dir_case_path(path, db)), True


def dir_case_path(log_dir: Path, db: Path | None) -> Path:
    """The case database of a log directory, refused (before it is created) when it
    would lie inside the evidence."""
    db = db or default_case_path(log_dir)
    refuse_inside_evidence(db, [log_dir], "--db")
    return db


def refuse_outputs(case: Case, log_dir: Path | None, **outputs: Path | None) -> None:
    """Refuse output paths (``--out``, ``--json``...) inside the case's evidence
    directories, or inside ``log_dir`` about to be ingested, before writing anything."""
    roots: list[str | Path] = [*case.evidence_roots(), *([log_dir] if log_dir else [])]
    for option, target in outputs.items():
        if target is not None and str(target) != "-":
            refuse_inside_evidence(target, roots, f"--{option}")


def existing_case(path: Path | None, db: Path | None, read_only: bool = True) -> Case:
    """Open an existing case named by PATH or ``--db``: a case database, or a log
    directory (the case ``detect``/``ingest`` of that directory created)."""
    if path is not None and db is not None:
        raise CliError("give the case either as PATH or as --db, not both")
    target = path or db
    if target is None:
        raise CliError("which case? give a case database or a log directory (or --db)")
    if target.is_dir():
        case_path = default_case_path(target)
        if not case_path.exists():
            raise CliError(f"no case for {target} yet (run: analyzer ingest {target})")
        return open_case(case_path, read_only=read_only)
    if not target.exists():
        raise CliError(f"no case database at {target}")
    _check_file(target, None)
    return open_case(target, read_only=read_only)


def warn_unmentioned(found: Any) -> None:
    """Warn on stderr about --endpoint names that no log of the case mentions."""
    for name in getattr(found, "unmentioned", ()):
        click.echo(
            f"warning: --endpoint {name}: no log of the case mentions this name, so "
            "nothing can be said about it (check the spelling)",
            err=True,
        )
