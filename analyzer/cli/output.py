"""Rendering rows for the terminal: table, CSV or JSON, always to stdout.

Progress and messages go to stderr, so ``--format json`` output can be piped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import sys
from collections.abc import Sequence
from typing import Any

import click

from ..textsafe import visible


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + ("Z" if value.tzinfo else "")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def to_json(rows: Any) -> str:
    return json.dumps(rows, default=_json_default, ensure_ascii=False, indent=2)


def _cell(value: Any, width: int) -> str:
    if value is None:
        text = ""
    elif isinstance(value, dt.datetime):
        text = _json_default(value)
    elif isinstance(value, (list, dict)):
        text = json.dumps(value, default=_json_default, ensure_ascii=False)
    else:
        text = str(value)
    text = visible(text.replace("\t", " "))
    return text if len(text) <= width else text[: width - 1] + "…"


SEVERITY_COLOURS: dict[str, dict[str, Any]] = {
    "critical": {"fg": "red", "bold": True},
    "high": {"fg": "red"},
    "medium": {"fg": "yellow"},
    "low": {"fg": "cyan"},
    "info": {"dim": True},
}


def colour_wanted() -> bool:
    """Colours unless ``NO_COLOR`` is set (https://no-color.org); click drops them anyway
    when stdout is not a terminal."""
    return not os.environ.get("NO_COLOR")


def terminal_width() -> int | None:
    """The width tables must fit: the terminal's (or ``$COLUMNS``); None in a pipe."""
    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return shutil.get_terminal_size().columns
    return None


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis when cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _widths(columns: Sequence[str], cells: list[list[str]], width: int | None) -> list[int]:
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    if width is None:
        return widths
    for floor in (8, 3):  # keep short columns whole while the widest can give
        while sum(widths) + 2 * (len(widths) - 1) > width:
            widest = max(range(len(widths)), key=lambda i: widths[i])
            if widths[widest] <= floor:
                break
            excess = sum(widths) + 2 * (len(widths) - 1) - width
            widths[widest] = max(floor, widths[widest] - excess, sorted(widths)[-2] - 1)
    return widths


def render_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    max_width: int = 60,
    *,
    width: int | None = None,
    colour: bool = False,
) -> str:
    """Rows as aligned text; cells cut at ``max_width``, columns narrowed (widest first)
    until a line fits ``width``; the ``severity`` column coloured when ``colour``."""
    cells = [[_cell(v, max_width) for v in row] for row in rows]
    widths = _widths(columns, cells, width)
    cells = [[fit(v, w) for v, w in zip(r, widths, strict=True)] for r in cells]
    sev = list(columns).index("severity") if colour and "severity" in columns else None

    def line(values: Sequence[str], styled: bool = True) -> str:
        parts = [v.ljust(w) for v, w in zip(values, widths, strict=True)]
        if sev is not None and styled:
            parts[sev] = click.style(parts[sev], **SEVERITY_COLOURS.get(values[sev], {}))
        return "  ".join(parts).rstrip()

    header = [fit(c, w) for c, w in zip(columns, widths, strict=True)]
    lines = [line(header, styled=False), "  ".join("-" * w for w in widths)]
    lines += [line(r) for r in cells]
    return "\n".join(lines)


def render_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                json.dumps(v, default=_json_default)
                if isinstance(v, (list, dict))
                else _json_default(v)
                if isinstance(v, dt.datetime)
                else v
                for v in row
            ]
        )
    return buf.getvalue().rstrip("\n")


def echo_long(text: str, lines: int = 1000) -> None:
    """Print ``text`` and a newline in pieces of whole lines (so colour codes are never
    split), so a reader that goes away (``| head``) is noticed at once rather than
    after one huge write."""
    rows = text.split("\n")
    for i in range(0, len(rows), lines):
        click.echo("\n".join(rows[i : i + lines]))


def emit(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> None:
    """Print rows in the chosen format."""
    if fmt == "json":
        echo_long(to_json([dict(zip(columns, r, strict=True)) for r in rows]))
    elif fmt == "csv":
        echo_long(render_csv(columns, rows))
    else:
        echo_long(render_table(columns, rows, width=terminal_width(), colour=colour_wanted()))
