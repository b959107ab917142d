"""What the logs still say about order when clocks are wrong: ``clocks.json``.

With clock faults (``Config.clocks``) the logged order of two hosts' events can differ
from the true one. Whether an analyzer can recover it depends on the causal
constraints the logs hold, so the simulator records them from its own model: for
each pair of hosts, the tightest constraint each way among those that every plan run
produces (a plan is used after it was created; a check picks the newest plan, so it
came before the next one; a check that read generation c as applied came after c's
apply started), and from them how closely the logs pin the two clocks' relative
offset (the width of its interval, shortest paths over the hosts). The operator's
log gives no two-sided constraint, so it is taken as NTP-close to the planner (within
PRIOR_S either way), as the analyzer assumes of clocks the logs do not pin (its clock
is never faulted). A labelled
finding rests on pairs of events; its order is *recoverable* when every pair on two
hosts is more than twice that width apart in true time: then any offsets consistent
with the constraints put the two events in their true order, by more than the width.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from .config import Config
from .model import OPERATOR, System
from .state import Record

CLOCKS_FILE = "clocks.json"
ROUNDING_S = 0.002  # logged times are truncated to the millisecond, on both events
PRIOR_S = 0.3  # queries/_clocks.sql, pf_clock_prior_s()


def _read(cfg: Config, rec: Record) -> float:
    return cfg.clock(rec.host, rec.t)


def constraint_edges(cfg: Config, system: System) -> dict[tuple[str, str], float]:
    """Per ordered pair (a, b): the least logged gap ts_y - ts_x over "x on a before y on b"."""
    edges: dict[tuple[str, str], float] = {}

    def before(x: Record, y: Record) -> None:
        if x.host != y.host:
            w = _read(cfg, y) - _read(cfg, x)
            key = (x.host, y.host)
            edges[key] = min(w, edges.get(key, w))

    starts: dict[int, list[Record]] = {}
    for ap in system.applies:
        starts.setdefault(ap.gen, []).append(ap.start)
    for recs in system.records.values():
        for rec in recs:
            f = rec.fields
            for key in ("generation", "current_generation", "applied_generation"):
                plan = system.plans.get(f.get(key))  # type: ignore[arg-type]
                if plan is not None and plan.record is not None and plan.record is not rec:
                    before(plan.record, rec)
            if f.get("event") == "plan_check":
                nxt = system.plans.get(int(f["generation"]) + 1)
                if nxt is not None and nxt.record is not None:
                    before(rec, nxt.record)
            if f.get("event") in ("plan_check", "plan_skip"):
                applied = starts.get(f.get("current_generation"))  # type: ignore[arg-type]
                if applied and len({r.host for r in applied}) == 1:
                    before(min(applied, key=lambda r: r.t), rec)
    if OPERATOR in system.records:
        for pair in ((cfg.planner_host, OPERATOR), (OPERATOR, cfg.planner_host)):
            edges[pair] = min(edges.get(pair, PRIOR_S), PRIOR_S)
    return edges


def pair_widths(edges: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """Width of the interval of o(b) - o(a) for every pair of hosts (inf: unbounded)."""
    hosts = sorted({h for pair in edges for h in pair})
    inf = float("inf")
    d = {(a, b): (0.0 if a == b else inf) for a in hosts for b in hosts}
    for (a, b), w in edges.items():
        back = edges.get((b, a), inf)
        d[a, b] = min(d[a, b], w + max(0.0, -(w + back)))  # contradictions widened
    for k, a, b in itertools.product(hosts, hosts, hosts):
        if d[a, k] + d[k, b] < d[a, b]:
            d[a, b] = d[a, k] + d[k, b]
    return {(a, b): abs(d[a, b] + d[b, a]) for a in hosts for b in hosts}


def recoverable(widths: dict[tuple[str, str], float], x: Record, y: Record) -> dict[str, Any]:
    """Whether the true order of ``x`` and ``y`` survives any offsets the logs allow."""
    width = 0.0 if x.host == y.host else widths.get((x.host, y.host), float("inf"))
    gap = y.t - x.t
    return {
        "a": {"file": x.file, "line": x.line, "host": x.host},
        "b": {"file": y.file, "line": y.line, "host": y.host},
        "true_gap_s": round(gap, 6),
        "width_s": round(width, 6) if width != float("inf") else None,
        "recoverable": x.host == y.host or abs(gap) > 2 * width + ROUNDING_S,
    }


def write_clocks(
    cfg: Config, system: System, orders: list[tuple[dict[str, Any], list[Any]]], out: Path
) -> dict[str, Any]:
    """Write ``clocks.json``: true offsets, pair widths, and each label's orders."""
    widths = pair_widths(constraint_edges(cfg, system))
    ref = cfg.planner_host
    mid = (cfg.start + cfg.end) / 2

    def offset(host: str, t: float) -> float:
        return (cfg.clock(host, t) - t) - (cfg.clock(ref, t) - t)

    hosts = sorted(system.records)
    labels = []
    for label, pairs in orders:
        checked = [recoverable(widths, x, y) for x, y in pairs]
        labels.append(
            {
                "key": [label["rule"], label["endpoint"], label["generation"], label["host"]],
                "start": label["start"],
                "evidence": label["evidence"][0],
                "recoverable": all(p["recoverable"] for p in checked),
                "pairs": checked,
            }
        )
    doc = {
        "reference": ref,
        "faults": [
            {"host": c.host, "offset_s": c.offset, "drift_s_per_h": c.drift} for c in cfg.clocks
        ],
        "hosts": {
            h: {
                "offset_at_start_s": round(offset(h, cfg.start), 6),
                "offset_at_middle_s": round(offset(h, mid), 6),
                "offset_at_end_s": round(offset(h, cfg.end), 6),
            }
            for h in hosts
        },
        "pair_width_s": {
            f"{a} {b}": (round(w, 6) if w != float("inf") else None)
            for (a, b), w in sorted(widths.items())
            if a < b
        },
        "labels": labels,
    }
    (out / CLOCKS_FILE).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return doc
