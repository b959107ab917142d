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


def test_a_shipment_names_what_the_rules_reach_through_macros_and_views() -> None:
    """Tables a rule reads through a macro or view it names are shipped with their rows
    (a missing one would empty them silently); those only unnamed views read are not."""
    from analyzer.spark.derived import words

    definitions = [
        "-- the newest\nCREATE OR REPLACE TEMP MACRO pf_top(x) AS (SELECT max(g) FROM pf_mid)",
        "CREATE TEMP VIEW pf_mid AS SELECT g FROM plans",
        "CREATE TEMP VIEW pf_unused AS SELECT t.* FROM enactor_events t, dns_queries",
    ]
    found, star = words(["SELECT pf_top(1) FROM dns_queries WHERE qname = 'a'"], definitions)
    assert {"pf_top", "pf_mid", "plans", "dns_queries", "qname"} <= found
    assert "enactor_events" not in found and not star
    found, star = words(["SELECT * FROM pf_unused"], definitions)
    assert "enactor_events" in found and star  # the view selects every dns_queries column
