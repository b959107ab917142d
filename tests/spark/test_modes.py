"""How a rule runs on Spark: declared in its header; undeclared DNS reads are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.errors import RuleError
from analyzer.rules import load_rules
from analyzer.rules.loader import parse_rule
from analyzer.spark.engine import plan_rules
from analyzer.spark.modes import spark_mode

HEADER = """-- id: my_rule
-- title: t
-- severity: low
-- tables: {tables}
-- description: d
{extra}SELECT 1
"""


def _rule(tables: str, extra: str = "") -> object:
    return parse_rule(Path("my_rule.sql"), HEADER.format(tables=tables, extra=extra))


def test_modes() -> None:
    assert spark_mode("by qname", ("dns_queries",)) == ("qname", "")
    assert spark_mode("global", ("dns_queries",)) == ("global", "")
    assert spark_mode("", ("enactor_events",)) == ("global", "")
    assert spark_mode("unsupported: needs all names", ()) == ("unsupported", "needs all names")
    mode, why = spark_mode("", ("dns_queries", "plans"))
    assert mode == "unsupported" and "declares no" in why


def test_a_bad_mode_is_an_error_at_its_line() -> None:
    with pytest.raises(RuleError) as err:
        _rule("plans", "-- spark: by endpoint\n")
    assert err.value.line == 6 and "by qname" in err.value.message


def test_a_rule_that_cannot_run_on_spark_says_so() -> None:
    rules = [_rule("dns_queries"), _rule("plans", "-- spark: unsupported: it ranks all names\n")]
    with pytest.raises(RuleError, match=r"cannot run on Spark: my_rule .*dns_queries.*ranks all"):
        plan_rules(rules)


def test_every_builtin_rule_runs_on_spark() -> None:
    glob, by_name = plan_rules(load_rules().rules.values())
    assert "dns_resolution_failure" in {r.id for r in by_name}
    assert glob


def test_cli_engine_options_go_together(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["detect", "--engine", "spark"])
    assert result.exit_code == 2 and "--parquet" in result.output
    result = runner.invoke(main, ["detect", str(tmp_path), "--parquet", str(tmp_path)])
    assert result.exit_code == 2 and "--engine spark" in result.output
    result = runner.invoke(main, ["detect"])
    assert result.exit_code == 2 and "PATH" in result.output
