"""Detection rules: SQL files under ``queries/``, run by DuckDB over a case.

The findings API (stable; the incident report and notebooks build on it)::

    from analyzer import open_case
    case = open_case("case.duckdb")
    found = case.findings(
        rules=None,            # rule ids to run (default: all)
        min_severity=None,     # "critical" | "high" | "medium" | "low" | "info"
        params=None,           # {"enactor_stall": {"min_s": 120}} or {"enactor_stall.min_s": 120}
        endpoints=None,        # extra DNS names to watch in the DNS logs
        rules_dir=None,        # a directory (or list) of user rule files, added to queries/
    )
    found.df          # polars DataFrame, one row per finding, columns below
    found.records()   # list of dicts: the `detect --format json` objects
    found.to_json()   # that JSON array as text
    found.counts()    # {"critical": n, "high": n, ...}
    found.at_or_above("high"), found.rule("endpoint_empty")   # filtered Findings

Each finding has the contract columns of findings.md:

=========== ============================= =================================================
column      polars type                   meaning
=========== ============================= =================================================
rule        String                        stable rule id
severity    String                        critical, high, medium, low or info
start       Datetime(us, UTC)             where the finding starts (records: RFC 3339 "Z")
end         Datetime(us, UTC)             where it ends, null when open / not applicable
endpoint    String                        DNS name (lower case, no trailing dot) or null
generation  Int64                         plan generation or null
host        String                        Enactor / host or null
summary     String                        one readable line
details     String (JSON object)          rule-specific; records() gives a dict. Always
                                          holds ``order_uncertain`` (bool)
evidence    List(Struct(file, line))      every log line it rests on (file relative to
                                          the ingested directory, 1-based line)
=========== ============================= =================================================

Findings are ordered by ``start`` (nulls last), then severity (worst first), rule,
endpoint, host. Lower level: ``load_rules(*dirs)`` gives a ``RuleSet`` (rules and the
errors met, each a ``RuleError`` with file and line), ``run_rules(con, ruleset, ...)``
runs it on a DuckDB connection, ``rules_markdown(ruleset)`` renders ``docs/rules.md``.
"""

from __future__ import annotations

from .docs import rules_markdown
from .findings import Findings
from .header import Param
from .loader import (
    BUILTIN_DIR,
    FINDING_COLUMNS,
    SEVERITIES,
    SEVERITY_RANK,
    Rule,
    RuleSet,
    load_rules,
)
from .params import parse_assignments, read_config
from .runner import run_rules

__all__ = [
    "BUILTIN_DIR",
    "FINDING_COLUMNS",
    "SEVERITIES",
    "SEVERITY_RANK",
    "Findings",
    "Param",
    "Rule",
    "RuleSet",
    "load_rules",
    "parse_assignments",
    "read_config",
    "rules_markdown",
    "run_rules",
]
