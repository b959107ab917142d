"""The control-plane logs of a run in other dialects than log-formats.md.

Real control planes log the same facts in their own way. A dialect writes every
Planner, Enactor and operator record of a run as another program would (one line per
record, at the same line numbers, torn lines where the spec writer tears them), so
the findings on its logs, read through its profiles (``docs/profiles/<dialect>/``),
must equal those on the spec-format logs of the same run.

* ``json-nested``: JSON with nested objects, other field and event names, upper-case
  codes and epoch-millisecond times.
* ``text``: plain text lines read by a regular expression, local times (UTC+2) without
  a zone, the generation and the other numbers inside a free-text message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from .config import Config
from .state import Record

DIALECTS = ("json-nested", "text")
TEXT_OFFSET_S = 2 * 3600  # the text dialect's clock: UTC+2 (the zone Etc/GMT-2), no DST


def epoch_ms(cfg: Config, rec: Record) -> int:
    """The record's time as the spec writer truncates it (``writers.iso_ms``), in ms."""
    return round((rec.t + cfg.skew.get(rec.host, 0.0)) * 1_000_000) // 1000


def _kind(rel: str) -> str:
    return rel.split("/", 1)[0]  # planner, enactor, operator


# -- json-nested ----------------------------------------------------------------------
_OPS = {
    "plan_check": "freshness.check",
    "plan_skip": "freshness.skip",
    "apply_start": "apply.begin",
    "endpoint_update": "record.write",
    "apply_done": "apply.end",
    "cleanup_start": "gc.begin",
    "plan_delete": "gc.delete",
    "lock_acquire": "lock.take",
}
_CODES = {"ok": "SUCCESS", "retry": "RETRY", "error": "FAILURE", "contended": "BUSY"}
# spec key -> (object, member) in the json-nested Enactor line
_NESTED = {
    "generation": ("plan", "rev"),
    "current_generation": ("plan", "current"),
    "applied_generation": ("plan", "applied"),
    "endpoint": ("target", "fqdn"),
    "attempt": ("result", "try"),
    "status": ("result", "code"),
    "latency_ms": ("result", "ms"),
    "error": ("result", "err"),
    "change_id": ("result", "change"),
    "endpoints_ok": ("summary", "ok"),
    "endpoints_failed": ("summary", "failed"),
    "duration_ms": ("summary", "ms"),
    "keep": ("gc", "keep"),
    "holder": ("lock", "owner"),
    "backoff_ms": ("lock", "wait_ms"),
}


def _json_line(cfg: Config, rec: Record, kind: str) -> str:
    f = rec.fields
    obj: dict[str, Any] = {"time_ms": epoch_ms(cfg, rec)}
    if kind == "planner" and f["event"] != "plan_created":  # kept, not interpreted
        obj |= {"svc": "dns-planner", "node": {"name": f["host"]}, "op": f["event"]}
        obj["detail"] = {k: v for k, v in f.items() if k not in ("component", "host", "event")}
    elif kind == "planner":
        targets = []
        for e in f["endpoints"]:
            item: dict[str, Any] = {
                "fqdn": e["name"],
                "pool": {"size": e["lbs"], "addrs": e["ips"]},
            }
            if "weight" in e:
                item["weight"] = e["weight"]
            targets.append(item)
        obj |= {"svc": "dns-planner", "node": {"name": f["host"]}, "op": "plan.publish"}
        obj["plan"] = {"rev": f["generation"], "targets": targets}
    elif kind == "operator":
        obj |= {"svc": "dns-ops", "who": {"user": f["actor"]}, "did": f["action"]}
        if "endpoint" in f:
            obj["target"] = {"fqdn": f["endpoint"]}
        if "generation" in f:
            obj["plan"] = {"rev": f["generation"]}
        if "note" in f:
            obj["comment"] = f["note"]
    else:
        obj |= {"svc": "dns-applier", "node": {"name": f["host"]}, "sev": f["level"].upper()}
        obj["op"] = _OPS[f["event"]]
        for key, value in f.items():
            if key in ("level", "host", "event"):
                continue
            if key == "verdict":
                obj["verdict"] = value.upper()
                continue
            outer, inner = _NESTED[key]
            obj.setdefault(outer, {})[inner] = _CODES[value] if key == "status" else value
    return json.dumps(obj, separators=(",", ":"))


# -- text -------------------------------------------------------------------------------
_WORDS = {
    "endpoint_update": {"ok": "done", "retry": "retrying", "error": "failed"},
    "lock_acquire": {"ok": "taken", "contended": "busy"},
}


def text_time(ms: int) -> str:
    sec, rem = divmod(ms, 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(sec + TEXT_OFFSET_S)) + f".{rem:03d}"


def _enactor_message(f: dict[str, Any]) -> str:
    ev = f["event"]
    g = f.get("generation")
    status = _WORDS.get(ev, {}).get(f.get("status", ""), f.get("status"))
    if ev == "plan_check":
        return f"check plan={g} applied={f['current_generation']} -> {f['verdict']}"
    if ev == "plan_skip":
        return f"skip plan={g} applied={f['current_generation']}"
    if ev == "apply_start":
        return f"apply plan={g} begin"
    if ev == "endpoint_update":
        msg = (
            f"update {f['endpoint']} plan={g} try={f['attempt']} result={status} "
            f"took={f['latency_ms']}ms"
        )
        msg += f" change={f['change_id']}" if "change_id" in f else ""
        return msg + (f" error: {f['error']}" if "error" in f else "")
    if ev == "apply_done":
        return (
            f"apply plan={g} done ok={f['endpoints_ok']} failed={f['endpoints_failed']} "
            f"took={f['duration_ms']}ms"
        )
    if ev == "cleanup_start":
        return f"cleanup after={f['applied_generation']} keep={f['keep']}"
    if ev == "plan_delete":
        return f"delete plan={g} after={f['applied_generation']}"
    if ev == "lock_acquire":
        msg = f"lock {f['endpoint']} {status}"
        msg += f" holder={f['holder']}" if "holder" in f else ""
        return msg + (f" backoff={f['backoff_ms']}ms" if "backoff_ms" in f else "")
    raise ValueError(f"the text dialect has no message for event {ev!r}")


def _text_line(cfg: Config, rec: Record, kind: str) -> str:
    f = rec.fields
    ts = text_time(epoch_ms(cfg, rec))
    if kind == "planner" and f["event"] != "plan_created":  # kept, not interpreted
        rest = " ".join(f"{k}={v}" for k, v in f.items() if k not in ("component", "host", "event"))
        return f"{ts} INFO  planner[{f['host']}] {f['event']} {rest}".rstrip()
    if kind == "planner":
        plan = json.dumps(f["endpoints"], separators=(",", ":"))
        return f"{ts} INFO  planner[{f['host']}] published plan={f['generation']} endpoints={plan}"
    if kind == "operator":
        line = f"{ts} NOTE  ops[{f['actor']}] {f['action']}"
        line += f" endpoint={f['endpoint']}" if "endpoint" in f else ""
        line += f" plan={f['generation']}" if "generation" in f else ""
        return line + (f" -- {f['note']}" if "note" in f else "")
    return f"{ts} {f['level'].upper():<5} enactor[{f['host']}] {_enactor_message(f)}"


@dataclass(frozen=True)
class Dialect:
    """How one dialect writes a record, names its files and tears a line."""

    name: str
    format_line: Callable[[Config, Record, str], str]
    suffix: dict[str, str]  # kind -> file name ending, instead of the spec's

    def line(self, cfg: Config, rec: Record, rel: str) -> str:
        return self.format_line(cfg, rec, _kind(rel))

    def file(self, rel: str) -> str:
        stem = rel.rsplit(".", 1)[0]
        return stem + self.suffix[_kind(rel)]

    def torn(self, line: str) -> str:
        """A prefix no reader accepts: JSON cut mid-object, text cut inside its time."""
        return line[: len(line) // 2] if self.name == "json-nested" else line[:15]


_BY_NAME = {
    "json-nested": Dialect(
        "json-nested", _json_line, {"planner": ".jsonl", "enactor": ".jsonl", "operator": ".jsonl"}
    ),
    "text": Dialect("text", _text_line, {"planner": ".log", "enactor": ".log", "operator": ".log"}),
}


def dialect(name: str) -> Dialect:
    if name not in _BY_NAME:
        raise InputError(f"unknown dialect {name!r}; known: {', '.join(DIALECTS)}")
    return _BY_NAME[name]
