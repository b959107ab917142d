"""Read a simulated directory back from its files only, and recompute findings from them.

Deliberately independent of ``analyzer.simulate``: it sees what an analyst sees (the
written lines and their logged times), so comparing its findings with the labels
checks that the ground truth really follows from the logs.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

_PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_.\-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?:\s+|$)')


def read_lines(path: Path) -> list[str]:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    text = data.decode("utf-8")
    assert text.endswith("\n"), path
    return text[:-1].split("\n")


def parse_logfmt(line: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(line):
        m = _PAIR.match(line, pos)
        if not m:
            return None
        v = m.group(2)
        if v.startswith('"'):
            v = re.sub(r"\\(.)", r"\1", v[1:-1])
        out[m.group(1)] = v
        pos = m.end()
    return out


def parse_json(line: str) -> dict[str, Any] | None:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def ms(ts: str) -> int:
    return round(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


def iso(t_ms: int) -> str:
    return datetime.utcfromtimestamp(t_ms / 1000).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Ev:
    file: str
    line: int
    t: int  # logged time, ms
    kv: dict[str, Any]

    @property
    def where(self) -> tuple[str, int]:
        return (self.file, self.line)


@dataclass
class Logs:
    root: Path
    enactor: list[Ev] = field(default_factory=list)
    planner: list[Ev] = field(default_factory=list)
    operator: list[Ev] = field(default_factory=list)
    dns: list[Ev] = field(default_factory=list)
    malformed: list[tuple[str, int]] = field(default_factory=list)

    def line(self, rel: str, n: int) -> str:
        return read_lines(self.root / rel)[n - 1]


def load(root: Path) -> Logs:
    logs = Logs(root)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or rel in ("README.md", "ground-truth.json"):
            continue
        kind = rel.split("/")[0]
        for i, text in enumerate(read_lines(path), 1):
            kv = parse_logfmt(text) if kind == "enactor" else parse_json(text)
            needed = ("ts", "host", "event") if kind == "enactor" else ()
            if (
                kv is None
                or not ("ts" in kv or "query_timestamp" in kv)
                or not all(k in kv for k in needed)
            ):
                logs.malformed.append((rel, i))
                continue
            try:
                t = ms(kv.get("ts") or kv["query_timestamp"])
            except ValueError:
                logs.malformed.append((rel, i))
                continue
            getattr(logs, kind).append(Ev(rel, i, t, kv))
    return logs


def _key(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f["rule"], f["start"], f["end"], f["endpoint"], f["generation"], f["host"])


def recompute(logs: Logs) -> dict[tuple[Any, ...], tuple[str, int]]:
    """Findings of findings.md recomputed from the lines: key -> defining line."""
    found: dict[tuple[Any, ...], tuple[str, int]] = {}

    def add(rule: str, start: int, end: int | None, ep: Any, gen: Any, host: Any, ev: Ev) -> None:
        f = {
            "rule": rule,
            "start": iso(start),
            "end": None if end is None else iso(end),
            "endpoint": ep,
            "generation": gen,
            "host": host,
        }
        found[_key(f)] = ev.where

    stream = sorted(
        [
            *logs.enactor,
            *logs.planner,
            *[e for e in logs.operator if e.kv["action"] == "restore_endpoint"],
        ],
        key=lambda e: (e.t, e.file, e.line),
    )
    eff: dict[str, tuple[int, Ev, str | None]] = {}
    empty: dict[str, tuple[Ev, int, list[Ev]]] = {}
    check: dict[str, tuple[Ev, int, bool]] = {}
    newest = None
    applies: list[tuple[Ev, Ev]] = []
    started: dict[str, Ev] = {}

    def close(ep: str, end: Ev) -> None:
        d, g, fails = empty.pop(ep)
        add("endpoint_empty", d.t, end.t, ep, g, None, d)
        if len(fails) >= 2:
            add(
                "blocked_updates",
                fails[0].t,
                fails[-1].t,
                ep,
                max(int(f.kv["generation"]) for f in fails),
                None,
                fails[0],
            )

    for e in stream:
        kv = e.kv
        if e.file.startswith("planner/"):
            if kv["event"] == "plan_created":
                newest = kv["generation"]
            continue
        if e.file.startswith("operator/"):
            ep, g = kv["endpoint"], kv["generation"]
            if ep in empty:
                close(ep, e)
            eff[ep] = (g, e, None)
            continue
        host, event = kv["host"], kv["event"]
        if event == "plan_check" and kv["verdict"] == "newer":
            check[host] = (e, int(kv["generation"]), False)
        elif event == "apply_start":
            started[host] = e
        elif event == "apply_done":
            applies.append((started.pop(host), e))
        elif event == "endpoint_update":
            ep, g, status = kv["endpoint"], int(kv["generation"]), kv["status"]
            prev = eff.get(ep)
            c = check.get(host)
            if c and not c[2] and c[1] == g and prev and prev[0] > g:
                add("stale_plan_check", e.t, None, ep, g, host, e)
                check[host] = (c[0], c[1], True)
            if status == "error" and ep in empty:
                empty[ep][2].append(e)
            if status == "ok":
                if prev and prev[0] > g:
                    add("non_monotonic_apply", e.t, None, ep, g, host, e)
                if newest is not None and newest - g >= 10:
                    add("generation_lag", e.t, None, ep, g, host, e)
                if ep in empty:
                    close(ep, e)
                eff[ep] = (g, e, host)
        elif event == "plan_delete":
            g = int(kv["generation"])
            live = sorted(ep for ep, (eg, _, _) in eff.items() if eg == g and ep not in empty)
            if live:
                add("cleanup_deleted_live_plan", e.t, None, live[0], g, host, e)
            for ep in live:
                empty[ep] = (e, g, [])
    for ep in list(empty):
        d, g, fails = empty.pop(ep)
        add("endpoint_empty", d.t, None, ep, g, None, d)
        if len(fails) >= 2:
            add(
                "blocked_updates",
                fails[0].t,
                fails[-1].t,
                ep,
                max(int(f.kv["generation"]) for f in fails),
                None,
                fails[0],
            )

    if applies:
        durs = [b.t - a.t for a, b in applies]
        threshold = max(60_000, 10 * statistics.median(durs))
        for (a, b), d in zip(applies, durs, strict=True):
            if d > threshold:
                ups = [
                    x
                    for x in logs.enactor
                    if x.file == a.file
                    and a.line < x.line < b.line
                    and x.kv["event"] == "endpoint_update"
                ]
                times = [a.t] + [u.t for u in ups]
                gaps = [y - x for x, y in itertools.pairwise(times)]
                ep = ups[gaps.index(max(gaps))].kv["endpoint"] if gaps else None
                add("enactor_stall", a.t, b.t, ep, int(a.kv["generation"]), a.kv["host"], a)

    names = {
        ep["name"]
        for p in logs.planner
        if p.kv["event"] == "plan_created"
        for ep in p.kv["endpoints"]
    }
    per_name: dict[str, list[tuple[int, bool, Ev]]] = defaultdict(list)
    for q in logs.dns:
        name = q.kv["query_name"].rstrip(".").lower()
        if name in names:
            ok = q.kv["rcode"] == "NOERROR" and any(
                a["Type"] == q.kv["query_type"] for a in q.kv["answers"]
            )
            per_name[name].append((q.t // 1000, not ok, q))
    for name, qs in per_name.items():
        fails = sorted((t, q.file, q.line, q) for t, bad, q in qs if bad)
        windows: list[list[Any]] = []
        for f in fails:
            if windows and f[0] - windows[-1][-1][0] < 120:
                windows[-1].append(f)
            else:
                windows.append([f])
        for w in windows:
            t0, t1 = w[0][0], w[-1][0]
            minutes: dict[int, list[int]] = defaultdict(lambda: [0, 0])
            for t, bad, _ in qs:
                if t0 // 60 <= t // 60 <= t1 // 60:
                    minutes[t // 60][0] += 1
                    minutes[t // 60][1] += bad
            peak = max(b / n for n, b in minutes.values())
            f = {
                "rule": "dns_resolution_failure",
                "start": iso(t0 * 1000),
                "end": iso(t1 * 1000),
                "endpoint": name,
                "generation": None,
                "host": None,
            }
            found[_key(f)] = w[0][3].where
            found[("severity", *_key(f))] = ("critical" if peak > 0.5 else "high", 0)
    return found


def label_keys(labels: list[dict[str, Any]]) -> dict[tuple[Any, ...], tuple[str, int]]:
    out: dict[tuple[Any, ...], tuple[str, int]] = {}
    for f in labels:
        ev = f["evidence"][0]
        out[_key(f)] = (ev["file"], ev["line"])
        if f["rule"] == "dns_resolution_failure":
            out[("severity", *_key(f))] = (f["severity"], 0)
    return out
