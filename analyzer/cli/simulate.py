"""``analyzer simulate``: write a simulated log directory and its ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..simulate import DESIGNS, DIALECTS, SCENARIOS
from ..simulate import simulate as run_simulation
from .common import CliError, handle_errors


@click.command()
@click.argument("scenario", type=click.Choice(list(SCENARIOS)))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write: new or empty, unless --force.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a non-empty --out: its planner/, enactor/, operator/, dns/ and "
    "ground-truth.json are replaced; other files are left alone.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--design", type=click.Choice(DESIGNS), help="buggy, or a fixed design.")
@click.option("--dns-lines", type=int, help="scale: exact number of DNS query lines.")
@click.option("--hours", type=float, help="scale, noisy-day: hours of logs.")
@click.option("--endpoints", type=int, help="random, scale: number of endpoints.")
@click.option("--enactors", type=int, help="random: number of Enactors.")
@click.option("--keep", type=int, help="random: clean-up keep threshold (generations).")
@click.option("--stall/--no-stall", default=None, help="random: inject the slowed Enactor.")
@click.option(
    "--stall-logged/--stall-unlogged",
    "stall_logged",
    default=None,
    help="Whether the slowed Enactor logs its lock contention.",
)
@click.option("--gzip/--no-gzip", default=None, help="Compress the DNS logs (.gz).")
@click.option(
    "--cloudtrail",
    is_flag=True,
    default=None,
    help="Also write the Route 53 changes as CloudTrail records them (cloudtrail/).",
)
@click.option(
    "--dialect",
    type=click.Choice(DIALECTS),
    help="Write the control-plane logs in this dialect (read them with the profiles of "
    "docs/profiles/DIALECT/).",
)
@click.option(
    "--clock",
    "clocks",
    multiple=True,
    metavar="HOST=OFFSET[:DRIFT]",
    help="dynamodb-2025-10-20, random, scale: HOST's clock is OFFSET s off, drifting DRIFT "
    "s an hour (repeatable); writes clocks.json.",
)
@click.option(
    "--clock-faults", is_flag=True, default=None, help="random: wrong clocks on random Enactors."
)
@handle_errors
def simulate(scenario: str, out: Path, seed: int, force: bool, **options: Any) -> None:
    """Simulate SCENARIO and write its logs and ground truth to --out.

    Scenarios: dynamodb-2025-10-20 (the reconstruction in sample_logs/), random (faults
    drawn from the seed; options force them), scale (benchmark data), noisy-day (a
    healthy system with typo, blocked and random names in its DNS logs) and
    change-history (CloudTrail and Resolver query logs only: a clean-up job, fighting
    writers, a console fix). Prints a one-line summary on stderr.
    """
    if out.is_dir() and not force and any(out.iterdir()):
        raise CliError(
            f"{out} is not empty: simulating would replace its log files; "
            "choose a new directory or add --force"
        )
    options["clocks"] = options["clocks"] or None
    result = run_simulation(scenario, out, seed, **options)
    click.echo(result.summary(), err=True)
