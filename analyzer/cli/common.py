"""Options and error handling shared by the commands."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..case import Case, default_case_path, open_case
from ..errors import AnalyzerError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FINDINGS = 1
EXIT_USAGE = 2


class CliError(click.ClickException):
    """A user or input error: one line on stderr, exit code 2."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def handle_errors(func: F) -> F:
    """Turn library errors into ``CliError`` (exit 2, one line on stderr)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AnalyzerError as exc:
            raise CliError(str(exc)) from exc
        except OSError as exc:
            raise CliError(f"{exc.filename or ''}: {exc.strerror or exc}") from exc

    return wrapper  # type: ignore[return-value]


def db_option(func: F) -> F:
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Case database (default: derived from the log directory, stored under "
        "$PLAN_FORENSICS_HOME or ~/.local/share/plan-forensics/cases).",
    )(func)


def format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format on stdout.",
    )


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
        type=click.IntRange(1970, 9999),
        default=None,
        metavar="YEAR",
        help="Year of timestamps written without one (syslog); default: the year each file "
        "was last modified (the summary says which was used).",
    )(func)
    return func


def case_for(path: Path, db: Path | None, *, read_only: bool = False) -> tuple[Case, bool]:
    """Open the case for PATH: a case database itself, or a log directory's case.

    Returns the case and whether PATH is a log directory (to be ingested first).
    """
    if path.is_file():
        return open_case(path, read_only=read_only), False
    if not path.exists():
        raise CliError(f"no such file or directory: {path}")
    return open_case(db or default_case_path(path)), True


def case_from_db(db: Path | None, read_only: bool = True) -> Case:
    if db is None:
        raise CliError("--db is required: which case database?")
    if not db.exists():
        raise CliError(f"no case database at {db}")
    return open_case(db, read_only=read_only)
