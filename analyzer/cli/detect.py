"""``analyzer detect`` and ``analyzer rules``: run the detection rules, list them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from .. import __version__
from ..export import findings_sarif
from ..profiles import load_profiles
from ..report.navigation import localize
from ..rules import SEVERITIES, SEVERITY_RANK, Findings, load_rules, rules_markdown
from ..rules.params import merge, parse_assignments, read_config
from ..textsafe import visible
from ..timewindow import parse_window
from .common import (
    CliError,
    db_option,
    format_option,
    handle_errors,
    tz_options,
    warn_unmentioned,
    window_options,
)
from .ingest import ingest_summary, run_ingest
from .output import colour_wanted, echo_long, emit, fit, render_csv, render_table, terminal_width
from .profiles import profiles_option
from .progress import Progress
from .scale import engine_options, open_for

_TABLE_COLUMNS = ["id", "severity", "rule", "start", "end", "endpoint", "gen", "host", "summary"]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CliError(f"unknown time zone: {name!r}") from exc


def _local(value: dt.datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    return value.astimezone(zone).isoformat(sep=" ", timespec="milliseconds")


def print_findings(found: Findings, fmt: str, zone: ZoneInfo, rules: dict[str, Any]) -> None:
    """The findings on stdout: a table (times in ``zone``, in the summaries too), JSON,
    CSV or SARIF (UTC)."""
    if fmt == "json":
        echo_long(found.to_json())
        return
    if fmt == "sarif":
        sarif = findings_sarif(found.records(), rules, __version__)
        echo_long(json.dumps(sarif, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        columns = found.df.columns
        rows = [[r[c] for c in columns] for r in found.records()]
        echo_long(render_csv(columns, rows))
        return
    rows = [
        [
            r["id"],
            r["severity"],
            r["rule"],
            _local(r["start"], zone),
            _local(r["end"], zone),
            r["endpoint"],
            r["generation"],
            r["host"],
            localize(r["summary"], zone.key),
        ]
        for r in found.df.iter_rows(named=True)
    ]
    width = terminal_width()
    echo_long(
        render_table(_TABLE_COLUMNS, rows, max_width=140, width=width, colour=colour_wanted())
    )
    for r in found.records():
        where = ", ".join(f"{e['file']}:{e['line']}" for e in r["evidence"][:3])
        more = len(r["evidence"]) - 3
        line = visible(f"  {r['id']} {r['rule']}: {where}{f' (+{more})' if more > 0 else ''}")
        click.echo(fit(line, width) if width else line)


@click.command()
@click.argument("path", type=click.Path(path_type=Path), required=False)
@db_option
@engine_options
@format_option("table", "json", "csv", "sarif")
@click.option(
    "--rule", "rule_ids", multiple=True, metavar="ID", help="Run only this rule (repeatable)."
)
@click.option(
    "--min-severity",
    type=click.Choice(SEVERITIES),
    help="Show only findings of this severity or worse.",
)
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "none"]),
    default="high",
    show_default=True,
    help="Exit 1 when a finding of this severity or worse is found.",
)
@click.option(
    "--param",
    "param_items",
    multiple=True,
    metavar="RULE.NAME=VALUE",
    help="Set a rule parameter, e.g. enactor_stall.min_s=120 (repeatable).",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Rule parameters from a TOML or JSON file, one table per rule id.",
)
@click.option(
    "--rules",
    "rules_dirs",
    multiple=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Also load the rule files of this directory (repeatable).",
)
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    metavar="NAME",
    help="Also watch this DNS name in the DNS logs (names some plan publishes always are).",
)
@click.option(
    "--tz",
    default="UTC",
    show_default=True,
    metavar="ZONE",
    help="Zone of the times in the table view (JSON and CSV are always UTC).",
)
@window_options
@tz_options
@click.option("--quiet", is_flag=True, help="No progress bar and no summary line on stderr.")
@profiles_option
@handle_errors
def detect(
    path: Path | None,
    db: Path | None,
    engine: str,
    parquet: str | None,
    spark_master: str | None,
    fmt: str,
    rule_ids: tuple[str, ...],
    min_severity: str | None,
    fail_on: str,
    param_items: tuple[str, ...],
    config: Path | None,
    rules_dirs: tuple[Path, ...],
    endpoints: tuple[str, ...],
    tz: str,
    since: str | None,
    until: str | None,
    assume_tz: str,
    assume_year: int | None,
    quiet: bool,
    profile_dirs: tuple[Path, ...],
) -> None:
    """Run the detection rules over PATH: a log directory (ingested first, new lines
    only) or a case database file; with --engine spark, the --parquet export instead.

    Prints the findings (JSON: only the array, on stdout), each with its stable id
    (``analyzer explain ID`` shows its proof and evidence). With --since/--until, only
    findings touching that window (the rules still see the whole case). Exit code 0
    when nothing at or above --fail-on was found, 1 when something was, 2 on a usage or
    input error.
    """
    zone = _zone(tz)
    start, end = parse_window(since, until, tz=tz)
    params = merge(read_config(config) if config else None, parse_assignments(param_items))
    ruleset = load_rules(*rules_dirs)
    ruleset.raise_errors()
    profiles = load_profiles(*profile_dirs)
    case, is_dir = open_for(path, db, engine, parquet, spark_master)
    with case:
        if is_dir and path is not None:
            results = run_ingest(
                case, path, assume_tz, quiet=quiet, assume_year=assume_year, profiles=profiles
            )
            if not quiet:
                click.echo(ingest_summary(results, path, case.path), err=True)
        bar = Progress(enabled=not quiet)
        try:
            found = case.findings(
                rules=list(rule_ids) or None,
                min_severity=min_severity,
                params=params,
                endpoints=list(endpoints),
                rules_dir=list(rules_dirs) or None,
                progress=bar.step("rules"),
            )
        finally:
            bar.close()
    found = found.touching(start, end)
    warn_unmentioned(found)
    print_findings(found, fmt, zone, ruleset.rules)
    if not quiet:
        counts = ", ".join(f"{n} {s}" for s, n in found.counts().items() if n) or "none"
        click.echo(f"{len(found)} findings ({counts})", err=True)
    if fail_on != "none" and len(found.at_or_above(fail_on)):
        raise SystemExit(1)


@click.group()
def rules() -> None:
    """The detection rules: list them, show one, write the reference page."""


def _rules_option(func: Any) -> Any:
    return click.option(
        "--rules",
        "rules_dirs",
        multiple=True,
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        help="Also load the rule files of this directory (repeatable).",
    )(func)


@rules.command("list")
@_rules_option
@format_option("table", "json")
@handle_errors
def list_rules(rules_dirs: tuple[Path, ...], fmt: str) -> None:
    """List the rules: id, severity, title, parameters and file."""
    ruleset = load_rules(*rules_dirs)
    columns = ["id", "severity", "title", "params", "file"]
    ordered = sorted(ruleset.rules.values(), key=lambda r: (-SEVERITY_RANK[r.severity], r.id))
    rows = [
        [
            r.id,
            r.severity,
            r.title,
            ", ".join(f"{p.name}={json.dumps(p.default)}" for p in r.params),
            str(r.path),
        ]
        for r in ordered
    ]
    emit(columns, rows, fmt)
    ruleset.raise_errors()


@rules.command("show")
@click.argument("rule_id", metavar="ID")
@_rules_option
@handle_errors
def show_rule(rule_id: str, rules_dirs: tuple[Path, ...]) -> None:
    """Show one rule: its metadata, parameters and SQL."""
    ruleset = load_rules(*rules_dirs)
    (rule,) = ruleset.select([rule_id])
    click.echo(f"id:          {rule.id}")
    click.echo(f"title:       {rule.title}")
    click.echo(f"severity:    {rule.severity}")
    click.echo(f"tables:      {', '.join(rule.tables)}")
    click.echo(f"file:        {rule.path}")
    click.echo(f"description: {rule.description}")
    for p in rule.params:
        click.echo(f"param:       {p.name} = {json.dumps(p.default)}  ({p.doc})")
    click.echo("")
    click.echo(rule.sql.rstrip())


@rules.command("doc")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the page to this file (default: stdout).",
)
@handle_errors
def doc_rules(out: Path | None) -> None:
    """Write the rules reference page (docs/rules.md) from the built-in rules."""
    ruleset = load_rules()
    ruleset.raise_errors()
    text = rules_markdown(ruleset)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)
