"""The command line: a thin shell over the library.

Each command parses its options, makes one or two library calls and renders the
result. Library errors become one line on stderr and exit code 2; ``detect`` and
``audit`` exit 1 when they find something at or above ``--fail-on``.
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from .common import GuardedGroup
from .detect import detect, rules
from .explain import explain, timeline
from .ingest import ingest, quarantine
from .profiles import profiles
from .report import audit, report
from .scale import export
from .simulate import simulate
from .sqlcmd import schema_cmd, sql


@click.group(
    cls=GuardedGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="analyzer")
def main() -> None:
    """plan-forensics: reconstruct what a plan/apply control plane did, from its logs.

    Point it at a directory of Planner, Enactor, operator and DNS query logs. It loads
    them into a DuckDB case database, runs the detection rules and writes the
    incident report. Every finding points to its file and line.
    """


main.add_command(ingest)
main.add_command(quarantine)
main.add_command(sql)
main.add_command(schema_cmd)
main.add_command(detect)
main.add_command(rules)
main.add_command(simulate)
main.add_command(report)
main.add_command(audit)
main.add_command(explain)
main.add_command(timeline)
main.add_command(profiles)
main.add_command(export)


def run() -> None:  # pragma: no cover - console entry point wrapper
    sys.exit(main())
