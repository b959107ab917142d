"""The rule loader: headers, validation and errors that name the file and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analyzer.errors import RuleError
from analyzer.rules import FINDING_COLUMNS, SEVERITIES, load_rules
from analyzer.rules.loader import BUILTIN_DIR, parse_rule

DATA = Path(__file__).resolve().parents[1] / "data" / "rules"
BROKEN = DATA / "_broken"
EXPECTED_ERRORS = json.loads((BROKEN / "expected.json").read_text())

CATALOGUE = {
    "non_monotonic_apply": "high",
    "stale_plan_check": "high",
    "cleanup_deleted_live_plan": "critical",
    "endpoint_empty": "critical",
    "dns_resolution_failure": "critical",
    "blocked_updates": "high",
    "enactor_stall": "medium",
    "generation_lag": "medium",
    "clock_skew": "low",
    "record_set_emptied": "critical",
    "conflicting_writers": "high",
    "unlogged_change": "medium",
}


def test_the_builtin_catalogue_loads_without_errors() -> None:
    ruleset = load_rules()
    assert ruleset.errors == []
    assert {r: rule.severity for r, rule in ruleset.rules.items()} == CATALOGUE
    for rule in ruleset.rules.values():
        assert rule.path == BUILTIN_DIR / f"{rule.id}.sql"
        assert rule.title and rule.description and rule.tables
        assert rule.notes, f"{rule.id} has no comment explaining its logic"


def test_builtin_parameters_and_their_defaults() -> None:
    rules = load_rules().rules
    assert rules["enactor_stall"].defaults == {"min_s": 60, "factor": 10}
    assert rules["generation_lag"].defaults == {"n": 10}
    assert rules["clock_skew"].defaults == {"min_ms": 100}
    assert rules["dns_resolution_failure"].defaults == {
        "merge_gap_s": 120,
        "critical_ratio": 0.5,
        "min_failed": 1,
        "discover": True,
        "discover_min_failed": 20,
        "discover_min_span_s": 120,
        "discover_min_ratio": 0.5,
        "discover_lookback_s": 900,
    }


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_a_broken_rule_file_is_reported_with_its_path_and_line(tmp_path: Path, name: str) -> None:
    line, fragment = EXPECTED_ERRORS[name]
    shutil.copy(BROKEN / name, tmp_path / name)
    ruleset = load_rules(tmp_path)
    assert len(ruleset.errors) == 1, ruleset.errors
    error = ruleset.errors[0]
    assert error.file == str(tmp_path / name)
    assert error.line == line
    assert fragment in error.message
    assert str(error).startswith(f"{tmp_path / name}:{line}: ")
    assert set(ruleset.rules) == set(CATALOGUE), "one broken file must not hide the others"
    with pytest.raises(RuleError):
        ruleset.raise_errors()


def test_all_broken_files_are_collected_at_once() -> None:
    ruleset = load_rules(BROKEN)
    assert sorted(Path(e.file or "").name for e in ruleset.errors) == sorted(EXPECTED_ERRORS)


def test_a_duplicate_rule_id_is_an_error(tmp_path: Path) -> None:
    shutil.copy(BUILTIN_DIR / "clock_skew.sql", tmp_path / "my_skew.sql")
    ruleset = load_rules(tmp_path)
    assert [e.message for e in ruleset.errors] == [
        f"rule id 'clock_skew' is already defined in {BUILTIN_DIR / 'clock_skew.sql'}"
    ]


def test_a_missing_rules_directory_is_an_error(tmp_path: Path) -> None:
    ruleset = load_rules(tmp_path / "nope")
    assert ruleset.errors[0].message == "no such rules directory"


def test_header_continuation_lines_and_params(tmp_path: Path) -> None:
    text = (DATA / "_custom" / "operator_restore.sql").read_text()
    rule = parse_rule(tmp_path / "x.sql", text)
    assert rule.id == "operator_restore"
    assert rule.severity == "info"
    assert rule.description.endswith("loaded with --rules DIR).")
    assert rule.defaults == {"action": "restore_endpoint"}
    assert rule.params[0].doc == "the operator action to report"


def test_wrapped_sql_keeps_the_file_line_numbers() -> None:
    rule = load_rules().rules["endpoint_empty"]
    wrapped = rule.wrapped_sql()
    assert wrapped.splitlines()[1:6] == rule.sql.splitlines()[1:6]
    for column in FINDING_COLUMNS:
        assert f'AS "{column}"' in wrapped.splitlines()[0]


def test_severities_are_the_five_of_the_spec() -> None:
    assert SEVERITIES == ("critical", "high", "medium", "low", "info")
