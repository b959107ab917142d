"""A deterministic simulator of the DNS control plane in log-formats.md, with ground truth.

``simulate(scenario, out, seed, **options)`` runs the event model (``model.py``),
writes the logs exactly per the spec (``writers.py``, ``dns.py``) and the findings the
rules must report (``labels.py``) to ``ground-truth.json``. Same scenario, seed and
options: same bytes. Layout under ``out``::

    planner/planner.jsonl  enactor/<host>.log  operator/actions.jsonl
    dns/resolver-<vpc>.jsonl[.gz]  ground-truth.json

Scenarios: ``dynamodb-2025-10-20`` (the reconstruction in sample_logs/), ``random``
(faults drawn from the seed) and ``scale`` (benchmark data). ``design`` is one of
``buggy``, ``fixed`` (both fixes), ``fixed-update``, ``fixed-cleanup``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import DESIGNS, Config
from .dns import write_dns
from .labels import compute_labels
from .model import System
from .scenarios import SCENARIOS, build
from .writers import GROUND_TRUTH, clean_out, write_control

__all__ = ["DESIGNS", "SCENARIOS", "SimulationResult", "build", "simulate"]


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
    config: Config

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


def simulate(scenario: str, out: str | Path, seed: int = 0, **options: Any) -> SimulationResult:
    """Run ``scenario`` and write its logs and ground truth under ``out``.

    Files the simulator wrote there before (its own directories and ground-truth.json)
    are replaced; anything else, such as a README, is left alone.
    """
    cfg = build(scenario, seed, **options)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    clean_out(out)
    system = System(cfg).run()
    control = write_control(cfg, system, out)
    queries, dns_files = write_dns(cfg, system, out)
    labels = compute_labels(cfg, system, queries)
    (out / GROUND_TRUTH).write_text(dump_labels(labels), encoding="utf-8")
    return SimulationResult(
        out=out,
        scenario=scenario,
        seed=seed,
        design=cfg.design,
        labels=labels,
        files=sorted([*control, *dns_files, GROUND_TRUTH]),
        dns_lines=queries.total,
        control_lines=sum(control.values()),
        config=cfg,
    )
