"""plan-forensics: forensic analysis of plan/apply control planes from their logs.

The library is the product; the CLI is a thin shell over it::

    from analyzer import open_case
    case = open_case("case.duckdb")
    case.ingest("sample_logs/dynamodb-2025-10-20")
    case.sql("SELECT * FROM enactor_events LIMIT 5")
    found = case.findings()          # the detection rules: found.df, found.records()
    case.timeline(found, tz="America/Los_Angeles").events   # the reconstructed timeline
    case.report("out/", tz="America/Los_Angeles")           # report.html, .md, .json

``import analyzer`` imports neither click nor matplotlib.
"""

from __future__ import annotations

from .audit import AuditResult
from .audit import audit as run_audit
from .case import Case, default_case_path, open_case
from .errors import AnalyzerError, CaseError, CaseLockedError, InputError, RuleError
from .ingest.pipeline import FileResult
from .report import (
    GapOptions,
    Proof,
    Report,
    Timeline,
    build_report,
    build_timeline,
    find_gaps,
    finding_id,
    make_report,
    prove,
)
from .rules import SEVERITIES, Findings, Rule, RuleSet, load_rules, run_rules

__version__ = "0.1.0"

__all__ = [
    "SEVERITIES",
    "AnalyzerError",
    "AuditResult",
    "Case",
    "CaseError",
    "CaseLockedError",
    "FileResult",
    "Findings",
    "GapOptions",
    "InputError",
    "Proof",
    "Report",
    "Rule",
    "RuleError",
    "RuleSet",
    "Timeline",
    "__version__",
    "build_report",
    "build_timeline",
    "default_case_path",
    "find_gaps",
    "finding_id",
    "load_rules",
    "make_report",
    "open_case",
    "prove",
    "run_audit",
    "run_rules",
]
