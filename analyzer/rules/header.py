"""The metadata header of a query file: the rules' and the report's queries' alike.

``-- key: value`` lines (a value continued on lines indented by two or more spaces),
``-- param NAME = DEFAULT: description`` lines, then free comments (the notes). Every
fault is a ``RuleError`` at its file and line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import schema
from ..errors import RuleError

# The keys of a rule's header (all required).
RULE_KEYS = ("id", "title", "severity", "tables", "description")
_KEY_LINE = re.compile(r"^--\s?(?P<key>[a-z_]+):\s*(?P<value>.*)$")
_PARAM_LINE = re.compile(r"^--\s?param\s+(?P<value>.*)$")
_CONTINUATION = re.compile(r"^--\s{2,}(?P<value>\S.*)$")
_PARAM = re.compile(
    r"^(?P<name>[a-z_][a-z0-9_]*)\s*=\s*(?P<default>[^:]+?)\s*(?::\s*(?P<doc>.*))?$"
)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# A $name parameter, skipping string literals, quoted names and comments.
_SQL_TOKEN = re.compile(
    r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\$([A-Za-z_]\w*)", re.S
)


@dataclass(frozen=True)
class Param:
    """A rule parameter: its name, default value and what it means."""

    name: str
    default: Any
    doc: str = ""


@dataclass(frozen=True)
class Header:
    """A query file's metadata header: its ``-- key: value`` fields and ``param`` lines
    (each with its line number) and the free comment that follows it (``notes``)."""

    fields: dict[str, tuple[str, int]]
    param_lines: list[tuple[str, int]]
    notes: str


def parse_header(
    path: Path,
    text: str,
    keys: tuple[str, ...] = RULE_KEYS,
    what: str = "rule",
    optional: tuple[str, ...] = (),
) -> Header:
    """Parse the header of a query file whose keys are ``keys`` (all required, ``id`` a
    lower-case identifier), ``optional`` and ``param`` lines; ``RuleError`` at the fault's
    line."""
    fields: dict[str, tuple[str, int]] = {}
    params: list[tuple[str, int]] = []
    key: str | None = None
    lines = text.splitlines()
    body = len(lines)  # index of the first line after the header
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        cont = _CONTINUATION.match(line)
        if cont and key is not None:
            if key == "param":
                params[-1] = (params[-1][0] + " " + cont["value"], params[-1][1])
            else:
                value, at = fields[key]
                fields[key] = (value + " " + cont["value"], at)
        elif match := _PARAM_LINE.match(line):
            key = "param"
            params.append((match["value"].strip(), number))
        elif match := _KEY_LINE.match(line):
            key = match["key"]
            if key not in keys + optional:
                known = ", ".join((*keys, *optional, "param"))
                raise RuleError(
                    f"unknown header key {key!r} (known: {known})", file=path, line=number
                )
            if key in fields:
                raise RuleError(f"header key {key!r} given twice", file=path, line=number)
            fields[key] = (match["value"].strip(), number)
        else:
            body = number - 1
            break
    for req in keys:
        if not fields.get(req, ("", 0))[0]:
            raise RuleError(f"the header lacks {req!r}", file=path, line=1)
    query_id, at = fields["id"]
    if not _ID.match(query_id):
        raise RuleError(
            f"{what} id {query_id!r} is not a lower-case identifier", file=path, line=at
        )
    notes = []
    for raw in lines[body:]:
        if not raw.startswith("--"):
            break
        notes.append(raw[2:].strip())
    return Header(fields, params, " ".join(" ".join(notes).split()))


def parse_tables(header: Header, path: Path, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The header's ``tables``: canonical tables (or one of ``extra``), else ``RuleError``."""
    tables_text, at = header.fields["tables"]
    tables = tuple(t.strip() for t in tables_text.split(",") if t.strip())
    unknown = [t for t in tables if t not in schema.TABLES_BY_NAME and t not in extra]
    if unknown:
        raise RuleError(
            f"unknown table {', '.join(unknown)} (canonical tables: "
            f"{', '.join(schema.TABLES_BY_NAME)})",
            file=path,
            line=at,
        )
    return tables


def parse_params(header: Header, path: Path, text: str) -> tuple[Param, ...]:
    """The header's parameters; those declared must be those the SQL uses as ``$name``."""
    params = header.param_lines
    parsed = tuple(_parse_param(line, path, number) for line, number in params)
    names = [p.name for p in parsed]
    if len(set(names)) != len(names):
        raise RuleError("a parameter is declared twice", file=path, line=params[0][1])
    used = {m[1] for m in _SQL_TOKEN.finditer(text) if m[1]}
    if used != set(names):
        missing, unused = sorted(used - set(names)), sorted(set(names) - used)
        problem = "; ".join(
            [f"${n} used but not declared" for n in missing]
            + [f"param {n} declared but not used as ${n}" for n in unused]
        )
        raise RuleError(problem, file=path, line=params[0][1] if params else 1)
    return parsed


def _parse_param(text: str, path: Path, line: int) -> Param:
    match = _PARAM.match(text)
    if not match:
        raise RuleError(
            f"bad param line {text!r}: expected 'param NAME = DEFAULT: description'",
            file=path,
            line=line,
        )
    try:
        default = json.loads(match["default"])
    except json.JSONDecodeError as exc:
        raise RuleError(
            f"default of {match['name']} is not a JSON literal: {match['default']!r}",
            file=path,
            line=line,
        ) from exc
    return Param(match["name"], default, (match["doc"] or "").strip())
