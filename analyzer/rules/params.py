"""Rule parameters from the command line (``rule.param=value``) and config files.

Values are JSON literals where they parse as such (``120``, ``0.5``, ``true``), else
strings; each is checked against the rule's declared parameters and coerced to the
type of its default, so a typo is an error and not a silently ignored setting.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from .loader import Rule

Params = dict[str, dict[str, Any]]


def parse_assignments(items: Iterable[str]) -> Params:
    """``["enactor_stall.min_s=120", ...]`` to ``{"enactor_stall": {"min_s": 120}}``."""
    out: Params = {}
    for item in items:
        key, sep, raw = item.partition("=")
        rule, dot, name = key.strip().partition(".")
        if not sep or not dot or not rule or not name:
            raise InputError(f"bad --param {item!r}: expected RULE.NAME=VALUE")
        out.setdefault(rule, {})[name] = _literal(raw.strip())
    return out


def _literal(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def read_config(path: str | Path) -> Params:
    """A TOML or JSON file with one table per rule: ``[enactor_stall] min_s = 120``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the config file: {exc.strerror}", file=path) from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if path.suffix == ".json" else "TOML"
        raise InputError(f"not valid {kind}: {exc}", file=path) from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError("expected one table of parameters per rule id", file=path)
    return {str(k): dict(v) for k, v in data.items()}


def merge(*layers: Mapping[str, Mapping[str, Any]] | None) -> Params:
    """Later layers override earlier ones, parameter by parameter."""
    out: Params = {}
    for layer in layers:
        for rule, values in (layer or {}).items():
            out.setdefault(rule, {}).update(values)
    return out


def normalise(params: Mapping[str, Any] | None) -> Params:
    """Accept ``{"rule": {"name": v}}`` and the flat ``{"rule.name": v}`` alike."""
    out: Params = {}
    for key, value in (params or {}).items():
        if isinstance(value, Mapping):
            out.setdefault(key, {}).update(value)
        else:
            rule, dot, name = key.partition(".")
            if not dot:
                raise InputError(f"bad parameter {key!r}: expected RULE.NAME")
            out.setdefault(rule, {})[name] = value
    return out


def resolve(rule: Rule, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The rule's parameter values: defaults, overridden and type-checked."""
    values = rule.defaults
    for name, value in overrides.items():
        if name not in values:
            known = ", ".join(values) or "none"
            raise InputError(f"rule {rule.id} has no parameter {name!r} (parameters: {known})")
        values[name] = _coerce(rule.id, name, values[name], value)
    return values


def _coerce(rule: str, name: str, default: Any, value: Any) -> Any:
    """Numbers stay numbers (an int default accepts 2.5), strings strings, bools bools."""

    def number(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    if (
        default is None
        or (number(default) and number(value))
        or (type(default) is type(value) and isinstance(value, bool | str))
    ):
        return value
    raise InputError(f"{rule}.{name} must be like its default {default!r}, not {value!r}")
