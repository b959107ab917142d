"""``analyzer profiles``: list, show and test source profiles; the ``--profiles`` option."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import InputError
from ..profiles import Profile, builtin_profiles, load_profile, load_profiles
from ..profiles.explain import explain
from .common import format_option, handle_errors
from .output import _json_default, emit, to_json


def profiles_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--profiles DIR`` (repeatable): read logs described by the profiles of DIR."""
    return click.option(
        "--profiles",
        "profile_dirs",
        multiple=True,
        type=click.Path(exists=True, path_type=Path),
        help="Also read logs described by the source profiles (*.toml) of this directory "
        "(repeatable; see docs/profiles.md).",
    )(func)


def _all(profile_dirs: tuple[Path, ...]) -> list[Profile]:
    return [*builtin_profiles(), *load_profiles(*profile_dirs)]


def _escape(value: Any) -> str:
    """A value for the terminal: control characters escaped (log text is untrusted)."""
    text = str(value)
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@click.group()
def profiles() -> None:
    """Source profiles: how to read a control plane's own logs (docs/profiles.md)."""


@profiles.command("list")
@profiles_option
@format_option("table", "json")
@handle_errors
def list_profiles(profile_dirs: tuple[Path, ...], fmt: str) -> None:
    """List the profiles: the built-in ones and those of --profiles."""
    columns = ["id", "role", "format", "events", "origin"]
    rows = [
        [
            p.id,
            p.role,
            p.format,
            ", ".join(e.name for e in p.events) or "(from its fields)",
            "built-in" if p.builtin else str(p.path),
        ]
        for p in _all(profile_dirs)
    ]
    emit(columns, rows, fmt)


@profiles.command("show")
@click.argument("profile_id", metavar="ID")
@profiles_option
@handle_errors
def show_profile(profile_id: str, profile_dirs: tuple[Path, ...]) -> None:
    """Show one profile: where it comes from and its file."""
    found = next((p for p in _all(profile_dirs) if p.id == profile_id), None)
    if found is None or found.path is None:
        known = ", ".join(p.id for p in _all(profile_dirs))
        raise InputError(f"no profile {profile_id!r}; known: {known}")
    origin = f"built-in, {found.path}" if found.builtin else str(found.path)
    click.echo(f"# {found.id}: {found.role}, {found.format}; {origin}")
    click.echo(found.path.read_text(encoding="utf-8").rstrip())


def _profile(file: str) -> Profile:
    path = Path(file)
    if path.exists():
        return load_profile(path)
    builtin = {p.id: p for p in builtin_profiles()}
    if file in builtin:
        return builtin[file]
    raise InputError(f"no such profile file (nor a built-in profile id): {file}")


@profiles.command("test")
@click.argument("file", metavar="FILE")
@click.argument("log", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--lines",
    "n_lines",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="How many first lines of LOG to read.",
)
@click.option(
    "--assume-tz",
    default="UTC",
    show_default=True,
    metavar="ZONE",
    help="Zone of times written without one (unless the profile sets tz).",
)
@format_option("text", "json", default="text")
@handle_errors
def test_profile(file: str, log: Path, n_lines: int, assume_tz: str, fmt: str) -> None:
    """Show what the first lines of LOG become under the profile FILE (a .toml file or a
    built-in id): each line's event and canonical fields, or why it has none."""
    result = explain(_profile(file), log, n_lines, assume_tz)
    if fmt == "json":
        click.echo(
            to_json(
                {
                    "profile": result.profile.id,
                    "detected": result.detected,
                    "notes": result.notes,
                    "lines": [vars(r) for r in result.lines],
                }
            )
        )
        return
    p = result.profile
    click.echo(f"profile {p.id} ({p.role}, {p.format}) on {_escape(log)}")
    if result.detected:
        click.echo("detect: the first non-empty line matches: ingest reads this file with it")
    else:
        click.echo(
            "detect: the first non-empty line does NOT match: ingest would not use "
            "this profile for this file"
        )
    for r in result.lines:
        if r.status == "event":
            click.echo(f"line {r.line}: {_escape(r.event)}")
        elif r.status == "kept":
            click.echo(f"line {r.line}: kept, not interpreted ({r.reason})")
        else:
            click.echo(f"line {r.line}: not loaded: {_escape(r.reason)}")
        for key, value in r.fields.items():
            if key == "endpoints":
                for item in value:
                    shown = " ".join(f"{k}={json.dumps(v, default=str)}" for k, v in item.items())
                    click.echo(f"    endpoint: {_escape(shown)}")
            elif not (r.status == "event" and value == r.event):
                shown = _json_default(value) if isinstance(value, dt.datetime) else value
                click.echo(f"    {key} = {_escape(shown)}")
    counts = {
        s: sum(1 for r in result.lines if r.status == s) for s in ("event", "kept", "not loaded")
    }
    click.echo(
        f"{len(result.lines)} lines: {counts['event']} events, {counts['kept']} kept, "
        f"{counts['not loaded']} not loaded"
    )
    for note in result.notes:
        click.echo(f"note: {_escape(note)}")
