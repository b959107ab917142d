"""Ground truth of ``dns_resolution_failure``: the windows of failed queries per name,
from the simulated DNS queries (the rule's choices: ``labels``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .dns import DnsQueries
from .writers import iso_ms

DNS_MERGE_S = 120  # a gap this long between failed queries of a name starts a new window


def dns_labels(add: Callable[..., None], q: DnsQueries) -> None:
    """Label every window of failed queries of each name through ``add`` (the labeller's)."""
    by_path = sorted(range(len(q.files)), key=q.files.__getitem__)
    rank = np.empty(len(q.files), dtype=np.int64)
    rank[by_path] = np.arange(len(q.files))
    for ni, name in enumerate(q.names):
        sel = q.name == ni
        ts, failed, file, line = q.ts[sel], q.failed[sel], q.file[sel], q.line[sel]
        fi = np.nonzero(failed)[0]
        if len(fi) == 0:
            continue
        fi = fi[np.lexsort((line[fi], rank[file[fi]], ts[fi]))]
        cuts = np.nonzero(np.diff(ts[fi]) >= DNS_MERGE_S)[0]
        for lo, hi in zip(np.r_[0, cuts + 1], np.r_[cuts + 1, len(fi)], strict=True):
            first, last = fi[lo], fi[hi - 1]
            _dns_window(
                add,
                name,
                ts,
                failed,
                int(ts[first]),
                int(ts[last]),
                int(hi - lo),
                [
                    (q.files[int(file[first])], int(line[first])),
                    (q.files[int(file[last])], int(line[last])),
                ],
            )


def _dns_window(
    add: Callable[..., None],
    name: str,
    ts: np.ndarray,
    failed: np.ndarray,
    t0: int,
    t1: int,
    n_fail: int,
    evidence: list[tuple[str, int]],
) -> None:
    minute = ts // 60
    m_sel = (minute >= t0 // 60) & (minute <= t1 // 60)
    m_idx = (minute[m_sel] - t0 // 60).astype(np.int64)
    m_tot = np.bincount(m_idx)
    m_fail = np.bincount(m_idx, weights=failed[m_sel].astype(np.float64), minlength=len(m_tot))
    ratio = np.divide(m_fail, m_tot, out=np.zeros(len(m_tot)), where=m_tot > 0)
    peak_i = int(np.argmax(ratio))
    peak = float(ratio[peak_i])
    n_tot = int(((ts >= t0) & (ts <= t1)).sum())
    add(
        "dns_resolution_failure",
        "critical" if peak > 0.5 else "high",
        iso_s_ms(t0),
        f"{n_fail} of {n_tot} queries for {name} failed to resolve (peak {peak:.0%} in one minute)",
        {
            "failed": n_fail,
            "total": n_tot,
            "peak_failure_ratio": round(peak, 4),
            "peak_minute": iso_s_ms((t0 // 60 + peak_i) * 60),
        },
        evidence,
        end=iso_s_ms(t1),
        endpoint=name,
    )


def iso_s_ms(sec: int) -> str:
    return iso_ms(float(sec))
