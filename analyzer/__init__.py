"""plan-forensics: forensic analysis of plan/apply control planes from their logs.

The library is the product; the CLI is a thin shell over it::

    from analyzer import open_case
    case = open_case("case.duckdb")
    case.ingest("sample_logs/dynamodb-2025-10-20")
    case.sql("SELECT * FROM enactor_events LIMIT 5")

``import analyzer`` imports neither click nor matplotlib.
"""

from __future__ import annotations

from .case import Case, default_case_path, open_case
from .errors import AnalyzerError, CaseError, CaseLockedError, InputError, RuleError
from .ingest.pipeline import FileResult

__version__ = "0.1.0"

__all__ = [
    "AnalyzerError",
    "Case",
    "CaseError",
    "CaseLockedError",
    "FileResult",
    "InputError",
    "RuleError",
    "__version__",
    "default_case_path",
    "open_case",
]
