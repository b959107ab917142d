"""The report's query files (queries/gaps, queries/timeline, queries/proofs): their
header, their binding against an empty case, and that the rule loader leaves them alone."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import duckdb
import pytest

from analyzer import open_case
from analyzer.errors import RuleError
from analyzer.report import build_timeline, prove
from analyzer.report.findings import registered
from analyzer.report.gaps import GapOptions
from analyzer.report.proof_arguments import BUILDERS
from analyzer.report.queries import load_queries, parse_query, query
from analyzer.rules import load_rules
from analyzer.rules.loader import BUILTIN_DIR, REPORT_QUERY_DIRS, rule_files
from analyzer.rules.runner import ensure_ordering

REPORT_SRC = Path(__file__).resolve().parents[2] / "analyzer" / "report"
QUERIES = load_queries()


def test_every_query_file_loads_and_is_used_by_the_report() -> None:
    files = {
        f"{p.parent.name}/{p.stem}" for d in REPORT_QUERY_DIRS for p in (BUILTIN_DIR / d).glob("*")
    }
    assert set(QUERIES) == files
    named = {
        m[1]
        for path in REPORT_SRC.rglob("*.py")
        for m in re.finditer(r'query\("([a-z_]+/[a-z_]+)"\)', path.read_text(encoding="utf-8"))
    }
    used = named | {f"proofs/{rule}" for rule in BUILDERS}
    assert used == set(QUERIES), "a query file no code runs, or a name with no file"
    for name, q in QUERIES.items():
        assert q.path == BUILTIN_DIR / f"{name}.sql"
        assert q.title and q.description and q.tables


@pytest.fixture(scope="module")
def empty_con(tmp_path_factory: pytest.TempPathFactory):
    with open_case(tmp_path_factory.mktemp("empty") / "case.duckdb") as case:
        ensure_ordering(case.con)
        yield case.con


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_query_binds_against_an_empty_case(empty_con, name: str) -> None:
    q = QUERIES[name]
    with registered(empty_con, []) as F:
        if name == "timeline/change_history_evidence":  # reads the timeline's rows so far
            raw = query("timeline/key_events").run(empty_con, F).pl()
            steps = query("timeline/change_history_steps").run(empty_con, F).pl()
            empty_con.register("_pf_timeline_raw", raw.to_arrow())
            empty_con.register("_pf_timeline_raw_steps", steps.to_arrow())
        plan = empty_con.execute("EXPLAIN " + q.text(F), q.values({})).fetchall()
        assert plan and q.run(empty_con, F).fetchall() is not None


def test_parameters_are_bound_and_their_defaults_are_the_codes() -> None:
    options = GapOptions()
    assert query("gaps/silent_host").values({}) == {
        "min_silence_s": options.min_silence_s,
        "silence_factor": options.silence_factor,
    }
    tolerance = {"dns_tolerance_s": options.dns_tolerance_s}
    assert query("gaps/dns_cause_and_recovery").values({}) == tolerance
    for fn, name in ((build_timeline, "timeline/impact"), (prove, "proofs/dns_resolution_failure")):
        default = inspect.signature(fn).parameters["dns_tolerance_s"].default
        assert query(name).values({}) == {"dns_tolerance_s": default}
    for q in QUERIES.values():  # values reach DuckDB as $name, never as text
        assert "?" not in re.sub(r"--[^\n]*", "", q.sql)
    with pytest.raises(RuleError, match="no parameter dns_tolerance"):
        query("gaps/stall_delay").values({"dns_tolerance_s": 1})


def test_the_rule_loader_ignores_the_report_folders(tmp_path: Path) -> None:
    _, rules = rule_files(BUILTIN_DIR)
    assert rules and all(p.parent == BUILTIN_DIR for p in rules)
    ruleset = load_rules()
    assert ruleset.errors == []
    assert all(r.path.parent == BUILTIN_DIR for r in ruleset.rules.values())
    # a user's rules directory keeps its sub-folders, whatever their names
    (tmp_path / "gaps").mkdir()
    text = (BUILTIN_DIR / "clock_skew.sql").read_text().replace("id: clock_skew", "id: my_skew")
    (tmp_path / "gaps" / "my_skew.sql").write_text(text)
    assert "my_skew" in load_rules(tmp_path).rules


HEADER = """-- id: {id}
-- title: A test query
-- tables: {tables}
-- description: What it finds.
--
SELECT {select}
"""


@pytest.mark.parametrize(
    ("fields", "message", "line"),
    [
        ({"id": "other"}, "query id 'other' is not the file's name", 1),
        ({"id": "Bad"}, "query id 'Bad' is not a lower-case identifier", 1),
        ({"tables": "enactor_events, nope"}, "unknown table nope", 3),
        ({"select": "* FROM {findings}"}, "exactly when its tables list findings", 3),
        ({"select": "$x"}, r"\$x used but not declared", 1),
    ],
)
def test_a_broken_query_file_names_its_file_and_line(
    tmp_path: Path, fields: dict[str, str], message: str, line: int
) -> None:
    path = tmp_path / "my_query.sql"
    values = {"id": "my_query", "tables": "enactor_events", "select": "1"} | fields
    with pytest.raises(RuleError, match=message) as caught:
        parse_query(path, HEADER.format(**values))
    assert (caught.value.file, caught.value.line) == (str(path), line)


def test_a_failing_query_names_its_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "my_query.sql"
    text = HEADER.format(id="my_query", tables="enactor_events", select="1,\n  AND 2")
    q = parse_query(path, text)
    with pytest.raises(RuleError, match="syntax error") as caught:
        q.run(duckdb.connect())
    assert (caught.value.file, caught.value.line) == (str(path), 7)
