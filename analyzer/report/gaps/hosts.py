"""Gaps in what the hosts logged: how much of a stall its log accounts for
(``stall_delay``) and a host silent far longer than usual (``silent_host``).

The rows come from ``queries/gaps/stall_delay.sql`` and ``silent_host.sql``; this module
says what they mean.
"""

from __future__ import annotations

from typing import Any

import duckdb

from .. import timefmt
from ..queries import query
from .rows import GapOptions, locations


def stall_gaps(
    con: duckdb.DuckDBPyConnection, F: str, opts: GapOptions, tz: str
) -> list[dict[str, Any]]:
    rows = []
    for s in query("gaps/stall_delay").run(con, F).pl().to_dicts():
        dur = s["duration_s"] or 0.0
        accounted = min(dur, s["backoff_s"] + s["retry_latency_s"] + s["update_latency_s"])
        unexplained = dur - accounted
        parts = []
        if s["contended"]:
            parts.append(
                f"{s['contended']} contended lock attempt(s) with "
                f"{timefmt.duration(s['backoff_s'])} of back-off"
            )
        if s["retries"]:
            parts.append(
                f"{s['retries']} retried or failed update(s) taking "
                f"{timefmt.duration(s['retry_latency_s'])}"
            )
        if s["updates"]:
            parts.append(
                f"{s['updates']} successful update(s) with "
                f"{timefmt.duration(s['update_latency_s'])} of logged latency"
            )
        longest = s["longest"] or {}
        what = f"{s['host']}'s stall on generation {s['generation']}" + (
            f" ({s['endpoint']})" if s["endpoint"] else ""
        )
        if not parts:
            statement = (
                f"{what} lasted {timefmt.duration(dur)} and nothing in its log explains it: "
                "no retry, lock contention, error or other line in the gap. The delay is "
                "unexplained."
            )
        else:
            statement = (
                f"{what} lasted {timefmt.duration(dur)}. The log accounts for "
                f"{timefmt.duration(accounted)} of it ({'; '.join(parts)}); "
                f"{timefmt.duration(unexplained)} ({unexplained / dur:.0%}) is unexplained."
                if dur
                else f"{what} has no duration."
            )
        if longest.get("from") is not None:
            statement += (
                " The host logged nothing for "
                + timefmt.duration((longest["to"] - longest["from"]).total_seconds())
                + f" between {timefmt.local(longest['from'], tz)} and "
                + f"{timefmt.local(longest['to'], tz)}."
            )
        explained = dur > 0 and unexplained / dur < opts.unexplained_fraction
        rows.append(
            {
                "kind": "stall_delay",
                "importance": "note" if explained else "high",
                "start": s["start"],
                "end": s["end"],
                "host": s["host"],
                "endpoint": s["endpoint"],
                "generation": s["generation"],
                "statement": statement,
                "missing": (
                    "what the host was doing: a log line (retry, lock contention, error, "
                    f"progress) between {timefmt.local(longest.get('from'), tz)} and "
                    f"{timefmt.local(longest.get('to'), tz)}, or the host's own metrics"
                    if not explained
                    else ""
                ),
                "numbers": {
                    "duration_s": round(dur, 3),
                    "accounted_s": round(accounted, 3),
                    "unexplained_s": round(unexplained, 3),
                    "contended_locks": s["contended"],
                    "backoff_s": round(s["backoff_s"], 3),
                    "retries": s["retries"],
                    "retry_latency_s": round(s["retry_latency_s"], 3),
                    "updates": s["updates"],
                    "update_latency_s": round(s["update_latency_s"], 3),
                    "lines_in_gap": s["lines"],
                },
                "evidence": locations(
                    *(s["evidence"] or [])[:1],
                    {"file": longest.get("from_file"), "line": longest.get("from_line")},
                    {"file": longest.get("to_file"), "line": longest.get("to_line")},
                ),
                "finding_id": s["id"],
            }
        )
    return rows


def silence_gaps(
    con: duckdb.DuckDBPyConnection, F: str, opts: GapOptions, tz: str
) -> list[dict[str, Any]]:
    rows = []
    silence = query("gaps/silent_host").run(
        con, F, min_silence_s=opts.min_silence_s, silence_factor=opts.silence_factor
    )
    for s in silence.pl().to_dicts():
        usual = s["usual_s"]
        statement = (
            f"{s['host']} ({s['source']}) logged nothing for {timefmt.duration(s['silent_s'])} "
            f"from {timefmt.local(s['start'], tz)} to {timefmt.local(s['end'], tz)}"
            + (f", against a usual interval of {timefmt.duration(usual)}" if usual else "")
            + (f", while its peers logged {s['peer_lines']} line(s)" if s["peer_lines"] else "")
            + "."
        )
        if s["in_stall"]:
            statement += " The silence lies inside the host's stall (see the stall above)."
        rows.append(
            {
                "kind": "silent_host",
                "importance": "high" if s["in_stall"] else "note",
                "start": s["start"],
                "end": s["end"],
                "host": s["host"],
                "statement": statement,
                "missing": f"{s['host']}'s log lines for that interval, if it wrote any "
                "(a rotated or lost log file?)",
                "numbers": {
                    "silent_s": round(s["silent_s"], 3),
                    "unannounced_s": round(s["quiet_s"], 3),
                    "usual_s": None if usual is None else round(usual, 3),
                    "peer_lines": s["peer_lines"],
                },
                "evidence": locations(
                    {"file": s["prev_file"], "line": s["prev_line"]},
                    {"file": s["file"], "line": s["line"]},
                ),
            }
        )
    return rows
