"""``analyzer report`` (the incident report) and ``analyzer audit`` (scheduled audits)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..audit import audit as run_audit
from ..audit import file_totals
from ..profiles import load_profiles
from ..report.findings import SEVERITIES
from ..report.navigation import localize
from ..report.timefmt import zone
from ..report.writer import make_report, parse_formats
from ..rules import load_rules
from ..rules.params import merge, normalise, parse_assignments, read_config, resolve
from ..textsafe import visible
from ..timewindow import parse_window
from .common import (
    CliError,
    case_for,
    db_option,
    handle_errors,
    refuse_outputs,
    tz_options,
    warn_unmentioned,
    window_options,
    write_output,
)
from .ingest import run_ingest
from .profiles import profiles_option
from .progress import Progress
from .scale import engine_options, open_for


def _rule_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--param, --config, --rules and --endpoint, as for ``detect``."""
    for opt in reversed(
        [
            click.option(
                "--param",
                "param_items",
                multiple=True,
                metavar="RULE.NAME=VALUE",
                help="Set a rule parameter, e.g. enactor_stall.min_s=120 (repeatable).",
            ),
            click.option(
                "--config",
                type=click.Path(dir_okay=False, exists=True, path_type=Path),
                help="Rule parameters from a TOML or JSON file, one table per rule id.",
            ),
            click.option(
                "--rules",
                "rules_dirs",
                multiple=True,
                type=click.Path(file_okay=False, exists=True, path_type=Path),
                help="Also load the rule files of this directory (repeatable).",
            ),
            click.option(
                "--endpoint",
                "endpoints",
                multiple=True,
                metavar="NAME",
                help="Also watch this DNS name in the DNS logs.",
            ),
        ]
    ):
        func = opt(func)
    return func


def _effective_params(kwargs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each rule's parameter values (defaults and overrides), for the report to list."""
    ruleset = load_rules(*(kwargs["rules_dir"] or []))
    overrides = normalise(kwargs["params"])
    return {rid: resolve(rule, overrides.get(rid, {})) for rid, rule in ruleset.rules.items()}


def _rule_kwargs(
    param_items: tuple[str, ...],
    config: Path | None,
    rules_dirs: tuple[Path, ...],
    endpoints: tuple[str, ...],
) -> dict[str, Any]:
    return {
        "params": merge(read_config(config) if config else None, parse_assignments(param_items)),
        "rules_dir": list(rules_dirs) or None,
        "endpoints": list(endpoints),
    }


@click.command()
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write report.html, report.md, report.json and figures/ into.",
)
@click.option(
    "--tz",
    default="UTC",
    show_default=True,
    metavar="ZONE",
    help="Zone the report shows times in (JSON times stay UTC).",
)
@click.option(
    "--format",
    "formats",
    default="html,md,json",
    show_default=True,
    metavar="LIST",
    help="Comma-separated formats: html, md, json.",
)
@click.option("--no-figures", is_flag=True, help="Skip the figures (faster; no matplotlib).")
@db_option
@window_options
@engine_options
@tz_options
@_rule_options
@click.option("--quiet", is_flag=True, help="No progress bar and no summary on stderr.")
@profiles_option
@handle_errors
def report(
    path: Path | None,
    out: Path,
    tz: str,
    formats: str,
    no_figures: bool,
    db: Path | None,
    since: str | None,
    until: str | None,
    engine: str,
    parquet: str | None,
    spark_master: str | None,
    assume_tz: str,
    assume_year: int | None,
    param_items: tuple[str, ...],
    config: Path | None,
    rules_dirs: tuple[Path, ...],
    endpoints: tuple[str, ...],
    quiet: bool,
    profile_dirs: tuple[Path, ...],
) -> None:
    """Write the incident report of PATH: a log directory (ingested first, new lines
    only) or a case database file; with --engine spark, the --parquet export (the rules
    run on Spark, the timeline and figures here, over the control plane and the DNS
    queries of its names).

    The report tells the story: a three-sentence summary, impact windows, the root-cause
    chain, the timeline in --tz, the root-cause gaps (what the logs cannot explain),
    the findings by severity with their proofs and quoted log lines, the figures, the
    inventory of inputs with sha256 and the versions used. The HTML page is
    self-contained. Prints the paths written. With --since/--until, the report covers
    the findings touching that window.
    """
    zone(tz)
    start, end = parse_window(since, until, tz=tz)
    chosen = parse_formats(formats)
    kwargs = _rule_kwargs(param_items, config, rules_dirs, endpoints)
    profiles = load_profiles(*profile_dirs)
    case, is_dir = open_for(path, db, engine, parquet, spark_master, watched_dns=True)
    with case:
        refuse_outputs(case, path if is_dir else None, out=out)
        if is_dir and path is not None:
            run_ingest(
                case, path, assume_tz, quiet=quiet, assume_year=assume_year, profiles=profiles
            )
        bar = Progress(enabled=not quiet)
        try:
            found = case.findings(**kwargs, progress=bar.step("rules")).touching(start, end)
            warn_unmentioned(found)
            rep, paths = make_report(
                case,
                found,
                out,
                tz=tz,
                formats=chosen,
                figures=not no_figures,
                rule_params=_effective_params(kwargs),
                progress=bar.step("report"),
            )
        finally:
            bar.close()
    for key in chosen:
        click.echo(str(paths[key]))
    if not quiet:
        counts = ", ".join(f"{n} {s}" for s, n in rep.severity_counts.items() if n) or "none"
        click.echo(
            f"report: {len(rep.findings)} findings ({counts}), {len(rep.timeline)} timeline "
            f"events, {len(rep.gaps)} root-cause gaps -> {out}",
            err=True,
        )


def _now(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CliError(f"--now: not an RFC 3339 time: {value!r}") from exc
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--since",
    default="24h",
    show_default=True,
    metavar="WINDOW",
    help="Findings touching this window: a duration before now (24h, 90m, 7d), an RFC 3339 "
    "time, or 'all'.",
)
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "none"]),
    default="high",
    show_default=True,
    help="Exit 1 when a finding of this severity or worse is in the window.",
)
@click.option(
    "--fail-on-new",
    is_flag=True,
    help="Exit 1 only for such findings the previous audit did not report (page once).",
)
@click.option(
    "--json",
    "json_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the audit (verdict, new, cleared, findings) as JSON to this file ('-': stdout).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the incident report of the window's findings to this directory.",
)
@click.option(
    "--tz",
    default="UTC",
    show_default=True,
    metavar="ZONE",
    help="Zone of the printed lines and of the report (the JSON stays UTC).",
)
@click.option(
    "--now",
    metavar="TIME",
    help="Evaluate the window as of this RFC 3339 time instead of the clock (replays, tests).",
)
@db_option
@tz_options
@_rule_options
@click.option("--quiet", is_flag=True, help="Only the verdict line; no progress bar.")
@profiles_option
@handle_errors
def audit(
    path: Path,
    since: str,
    fail_on: str,
    fail_on_new: bool,
    json_file: Path | None,
    out: Path | None,
    tz: str,
    now: str | None,
    db: Path | None,
    assume_tz: str,
    assume_year: int | None,
    param_items: tuple[str, ...],
    config: Path | None,
    rules_dirs: tuple[Path, ...],
    endpoints: tuple[str, ...],
    quiet: bool,
    profile_dirs: tuple[Path, ...],
) -> None:
    """Audit PATH for cron, systemd timers and CI: ingest what is new, run every rule,
    keep the findings that touch the --since window, and compare them with the
    previous audit of the same case (new, ended, cleared).

    Prints a short verdict. Exit code 0 when nothing at or above --fail-on is in the
    window (with --fail-on-new: nothing new since the previous audit), 1 when something
    is, 2 on a usage or input error. See docs/audit.md.
    """
    zone(tz)
    kwargs = _rule_kwargs(param_items, config, rules_dirs, endpoints)
    profiles = load_profiles(*profile_dirs)
    case, is_dir = case_for(path, db)
    with case:
        refuse_outputs(case, path if is_dir else None, out=out, json=json_file)
        ingested: dict[str, int] = {}
        if is_dir:
            before = file_totals(case)
            run_ingest(
                case, path, assume_tz, quiet=True, assume_year=assume_year, profiles=profiles
            )
            after = file_totals(case)
            ingested = {key: after[key] - before[key] for key in after}
        result = run_audit(
            case,
            since=since,
            fail_on=fail_on,
            fail_on_new=fail_on_new,
            now=_now(now),
            ingested=ingested,
            **kwargs,
        )
        if out is not None:
            make_report(case, result.findings, out, tz=tz, rule_params=_effective_params(kwargs))
    if json_file is not None:
        if str(json_file) == "-":
            click.echo(result.to_json(), nl=False)
        else:
            json_file.parent.mkdir(parents=True, exist_ok=True)
            write_output(json_file, result.to_json())
    lines = [result.verdict] if quiet else result.lines()
    to_stderr = str(json_file) == "-"
    for line in lines:  # a person reads these: times in --tz (the JSON stays UTC)
        click.echo(visible(localize(line, tz)), err=to_stderr)
    if result.exit_code:
        raise SystemExit(result.exit_code)
