"""Proofs: a short argument for each critical or high finding, in the style of Elle.

Jepsen's Elle does not just say "G1c"; it says "Let T1 = ..., T2 = ... Then T1 < T2
because ... Therefore a cycle". Here each critical or high finding gets the same: the
log lines it rests on (``Let U1 = ... (file:line)``), what follows from their order
(``Then``) and the conclusion (``Therefore``). Where the chain has a hole, the proof
names the log line that would be needed and is missing.

The lines are looked up with one set-based query per rule over the canonical tables
(``queries/proofs/<rule>.sql``), from the finding's contract fields (endpoint,
generation, host, start, end) only; ``proof_arguments`` builds each rule's argument from
them, ``proof_steps`` holds the shape of a proof.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import duckdb
import polars as pl

from ..rules.runner import ensure_ordering
from . import change_history, timefmt
from .findings import normalize, registered, severity_rank
from .proof_arguments import BUILDERS, generic
from .proof_steps import Proof, Step
from .queries import query

__all__ = ["PROVEN_MIN_RANK", "Proof", "Step", "prove"]

PROVEN_MIN_RANK = severity_rank("high")


def prove(
    case: Any,
    findings: Iterable[Mapping[str, Any]] | pl.DataFrame,
    *,
    tz: str = "UTC",
    dns_tolerance_s: float = 60.0,
) -> list[Proof]:
    """A proof for every critical or high finding, in the findings' order."""
    timefmt.zone(tz)
    found = [f for f in normalize(findings) if severity_rank(f["severity"]) >= PROVEN_MIN_RANK]
    con: duckdb.DuckDBPyConnection = case.con
    ensure_ordering(con)
    looked_up: dict[str, dict[str, Any]] = {}
    values = {"dns_tolerance_s": dns_tolerance_s}
    with registered(con, found) as F:
        for rule in BUILDERS:
            if not any(f["rule"] == rule for f in found):
                continue
            q = query(f"proofs/{rule}")
            params = {k: v for k, v in values.items() if k in {p.name for p in q.params}}
            for row in q.run(con, F, **params).pl().to_dicts():
                looked_up[row["id"]] = row
    proofs = []
    for f in found:
        if f["rule"] in change_history.PROVEN:  # from the finding alone (report/change_history.py)
            proofs.append(change_history.proof(f, tz))
            continue
        build = BUILDERS.get(f["rule"])
        row = looked_up.get(f["id"])
        proofs.append(build(f, row, tz) if build and row else generic(f, tz))
    return proofs
