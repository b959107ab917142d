"""``analyzer explain ID`` (one finding: proof, evidence lines, the timeline around it)
and ``analyzer timeline`` (the reconstructed timeline, for Timesketch or a spreadsheet)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..errors import InputError
from ..export import TIMELINE_FIELDS, timeline_rows, to_jsonl
from ..report.navigation import localize
from ..report.proofs import prove
from ..report.timefmt import local, zone
from .common import case_options, existing_case, handle_errors
from .output import emit, render_csv


def _with_case_options(func):  # type: ignore[no-untyped-def]
    func = click.option(
        "--tz", default="UTC", show_default=True, metavar="ZONE", help="Zone of the times shown."
    )(func)
    return case_options(func)


@click.command()
@click.argument("finding_id", metavar="ID")
@_with_case_options
@click.option(
    "--around",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    metavar="MINUTES",
    help="Timeline events this many minutes either side of the finding.",
)
@handle_errors
def explain(finding_id: str, path: Path | None, db: Path | None, tz: str, around: float) -> None:
    """Explain one finding: what it says, its proof, the log lines it rests on (quoted
    from the files) and the timeline around it.

    ID is the finding's id from detect, a report or an audit (a unique prefix is
    enough). PATH is a case database or a log directory.
    """
    zone(tz)
    with existing_case(path, db) as case:
        found = case.findings()
        f = found.get(finding_id)
        if f is None:
            matches = [r["id"] for r in found.records() if r["id"].startswith(finding_id)]
            what = "is ambiguous" if matches else "matches no finding"
            raise InputError(f"id {finding_id!r} {what}; `analyzer detect` lists the ids")
        proofs = prove(case, [f], tz=tz)
        quotes = case.evidence(f)
        events = case.timeline(found, tz=tz).events
    start = dt.datetime.fromisoformat(f["start"].replace("Z", "+00:00")) if f["start"] else None
    end = dt.datetime.fromisoformat(f["end"].replace("Z", "+00:00")) if f["end"] else start
    echo = click.echo
    echo(f"{f['id']}  {f['severity']}  {f['rule']}")
    echo(f"  {localize(f['summary'], tz)}")
    when = local(start, tz) + (f" to {local(end, tz)}" if f["end"] else "")
    echo(f"  when: {when}")
    for key in ("endpoint", "generation", "host"):
        if f[key] is not None:
            echo(f"  {key}: {f[key]}")
    echo("")
    if proofs:
        echo("Proof:")
        for step in proofs[0].steps:
            echo(f"  {step.render()}")
        echo(f"  Then {proofs[0].then}")
        echo(f"  Therefore {proofs[0].therefore}")
        for m in proofs[0].missing:
            echo(f"  Missing: {m}.")
    else:
        echo("Proof: only critical and high findings are proven; the evidence follows.")
    echo("")
    echo(f"Evidence ({len(quotes)} lines):")
    for q in quotes:
        echo(f"  {q['file']}:{q['line']}: {q['text'] if q['text'] is not None else ''}")
        if q["problem"]:
            echo(f"    ({q['problem']})")
    if start is None or not events.height:
        return
    margin = dt.timedelta(minutes=around)
    near = events.filter(
        (events["ts"] >= start - margin) & (events["ts"] <= (end or start) + margin)
    )
    echo("")
    echo(f"Timeline within {around:g} min ({len(near)} of {events.height} events):")
    for e in near.iter_rows(named=True):
        mark = "*" if e["finding_id"] == f["id"] else " "
        echo(f" {mark}{e['time']}  {e['sentence']}")


@click.command()
@_with_case_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "jsonl"]),
    default="table",
    show_default=True,
    help="jsonl and csv are Timesketch's import shape (message, datetime, timestamp_desc).",
)
@handle_errors
def timeline(path: Path | None, db: Path | None, tz: str, fmt: str) -> None:
    """The reconstructed timeline of a case: one row per key event with its time (in
    --tz; ``datetime`` in UTC), phase, host, sentence and evidence (file:line).

    --format jsonl or csv writes what Timesketch imports (``message``, ``datetime``,
    ``timestamp_desc`` and the event's fields). PATH is a case database or a log
    directory.
    """
    zone(tz)
    with existing_case(path, db) as case:
        events = case.timeline(tz=tz).events
    rows = timeline_rows(events.to_dicts())
    if fmt == "jsonl":
        click.echo(to_jsonl(rows), nl=False)
    elif fmt == "csv":
        click.echo(render_csv(TIMELINE_FIELDS, [[r[k] for k in TIMELINE_FIELDS] for r in rows]))
    else:
        columns = ["time", "since_trigger", "phase", "host", "message", "evidence"]
        emit(columns, [[r[k] for k in columns] for r in rows], "table")
