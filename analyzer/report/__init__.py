"""Incident reports: timeline, root-cause gaps, proofs, figures and the rendered pages.

Everything takes the findings as a list of records in the contract shape
(findings.md, "Output contract"), so it works with ``Case.findings()``, with the JSON
of ``detect --format json`` and with hand-made findings alike::

    from analyzer.report import build_timeline, find_gaps, make_report
    tl = build_timeline(case, findings, tz="America/Los_Angeles")
    tl.events          # polars DataFrame, one row per key event

Importing this package does not import matplotlib; :mod:`analyzer.report.figures`
does, when a figure is drawn.
"""

from __future__ import annotations

from .evidence import Quote, read_lines
from .findings import SEVERITIES, finding_id, normalize, severity_rank
from .gaps import GapOptions, find_gaps, gap_records
from .model import Report, build_report
from .proofs import Proof, prove
from .timeline import Timeline, build_timeline
from .writer import FORMATS, make_report, parse_formats, write_report

__all__ = [
    "FORMATS",
    "SEVERITIES",
    "GapOptions",
    "Proof",
    "Quote",
    "Report",
    "Timeline",
    "build_report",
    "build_timeline",
    "find_gaps",
    "finding_id",
    "gap_records",
    "make_report",
    "normalize",
    "parse_formats",
    "prove",
    "read_lines",
    "severity_rank",
    "write_report",
]
