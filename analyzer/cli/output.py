"""Rendering rows for the terminal: table, CSV or JSON, always to stdout.

Progress and messages go to stderr, so ``--format json`` output can be piped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

import click


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
    text = text.replace("\n", "\\n").replace("\t", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 60) -> str:
    cells = [[_cell(v, max_width) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
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


def emit(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> None:
    """Print rows in the chosen format."""
    if fmt == "json":
        click.echo(to_json([dict(zip(columns, r, strict=True)) for r in rows]))
    elif fmt == "csv":
        click.echo(render_csv(columns, rows))
    else:
        click.echo(render_table(columns, rows))
