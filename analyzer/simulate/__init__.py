"""A deterministic simulator of the DNS control plane in log-formats.md, with ground truth.

``simulate(scenario, out, seed, **options)`` runs the event model (``model.py``),
writes the logs exactly per the spec (``writers.py``, ``dns.py``) and the findings the
rules must report (``labels.py``) to ``ground-truth.json``. Same scenario, seed and
options: same bytes. Layout under ``out``::

    planner/planner.jsonl  enactor/<host>.log  operator/actions.jsonl
    dns/resolver-<vpc>.jsonl[.gz]  ground-truth.json

Scenarios: ``dynamodb-2025-10-20`` (the reconstruction in sample_logs/), ``random``
(faults drawn from the seed) and ``scale`` (benchmark data). ``design`` is one of
``buggy``, ``fixed`` (both fixes), ``fixed-update``, ``fixed-cleanup``. Clock faults
(option ``clocks``, or ``clock_faults=True`` for random ones) add ``clocks.json``: the
true offsets and which orders the logs let an analyzer recover.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .change_history import simulate_change_history
from .clocks import CLOCKS_FILE, write_clocks
from .cloudtrail import enactor_trail
from .config import DESIGNS, ClockFault, Config
from .dialects import DIALECTS
from .dialects import dialect as get_dialect
from .dns import write_dns
from .labels import compute_labels
from .model import System
from .scenarios import SCENARIOS as _SCENARIOS
from .scenarios import build
from .writers import GROUND_TRUTH, clean_out, write_control

__all__ = [
    "DESIGNS",
    "DIALECTS",
    "SCENARIOS",
    "ClockFault",
    "SimulationResult",
    "build",
    "simulate",
]

# ``change-history`` (change_history.py) is CloudTrail and Resolver logs only: no Config.
SCENARIOS = [*_SCENARIOS, "change-history"]


@dataclass
class SimulationResult:
    out: Path
    scenario: str
    seed: int
    design: str
    labels: list[dict[str, Any]]
    files: list[str]  # relative to ``out``, sorted; ground-truth.json included
    dns_lines: int  # query lines written (broken lines not counted)
    control_lines: int  # planner + enactor + operator lines, broken ones included
    config: Config | None  # None for change-history
    clocks: dict[str, Any] | None = None  # clocks.json, with clock faults (clocks.py)

    def summary(self) -> str:
        rules: dict[str, int] = {}
        for f in self.labels:
            rules[f["rule"]] = rules.get(f["rule"], 0) + 1
        found = ", ".join(f"{k} {v}" for k, v in sorted(rules.items())) or "no findings"
        return (
            f"{self.scenario} seed {self.seed} ({self.design}): {len(self.files)} files, "
            f"{self.control_lines} control-plane lines, {self.dns_lines} DNS lines; "
            f"labels: {found}"
        )


def dump_labels(labels: list[dict[str, Any]]) -> str:
    """One finding per line: readable, and a change to one label is a one-line diff."""
    if not labels:
        return "[]\n"
    return "[\n" + ",\n".join(json.dumps(f) for f in labels) + "\n]\n"


def simulate(
    scenario: str, out: str | Path, seed: int = 0, dialect: str | None = None, **options: Any
) -> SimulationResult:
    """Run ``scenario`` and write its logs and ground truth under ``out``.

    Files the simulator wrote there before (its own directories and ground-truth.json)
    are replaced; anything else, such as a README, is left alone. ``dialect`` writes the
    control-plane logs in another dialect (``dialects.DIALECTS``; read them with the
    profiles of ``docs/profiles/<dialect>/``); the run itself is the same.
    """
    chosen = get_dialect(dialect) if dialect is not None else None
    out = Path(out)
    if scenario == "change-history":
        return _change_history(out, seed, **options)
    cloudtrail = bool(options.pop("cloudtrail", None))
    cfg = build(scenario, seed, **options)
    out.mkdir(parents=True, exist_ok=True)
    clean_out(out)
    system = System(cfg).run()
    control = write_control(cfg, system, out, chosen)
    queries, dns_files = write_dns(cfg, system, out)
    orders: list[Any] = []
    labels = compute_labels(cfg, system, queries, orders)
    if cloudtrail:  # opt-in: the Route 53 changes as CloudTrail records them
        trail, trail_labels = enactor_trail(system, seed, out)
        control.update(trail)
        labels = sorted(labels + trail_labels, key=_label_order)
    (out / GROUND_TRUTH).write_text(dump_labels(labels), encoding="utf-8")
    clocks = write_clocks(cfg, system, orders, out) if cfg.clocks else None
    return SimulationResult(
        out=out,
        scenario=scenario,
        seed=seed,
        design=cfg.design,
        labels=labels,
        files=sorted([*control, *dns_files, GROUND_TRUTH, *([CLOCKS_FILE] if clocks else [])]),
        dns_lines=queries.total,
        control_lines=sum(control.values()),
        config=cfg,
        clocks=clocks,
    )


def _label_order(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f["start"], f["rule"], f["endpoint"] or "", f["generation"] or -1, f["host"] or "")


def _change_history(out: Path, seed: int, **options: Any) -> SimulationResult:
    """The change-history scenario: CloudTrail and Resolver query logs only."""
    known = {k: v for k, v in options.items() if v is not None}
    out.mkdir(parents=True, exist_ok=True)
    clean_out(out)
    got = simulate_change_history(out, seed, **known)
    (out / GROUND_TRUTH).write_text(dump_labels(got["labels"]), encoding="utf-8")
    files = got["files"]
    return SimulationResult(
        out=out,
        scenario="change-history",
        seed=seed,
        design="n/a",
        labels=got["labels"],
        files=sorted([*files, GROUND_TRUTH]),
        dns_lines=sum(n for f, n in files.items() if f.startswith("dns/")),
        control_lines=sum(n for f, n in files.items() if not f.startswith("dns/")),
        config=None,
    )
