"""Quoting evidence: the raw lines, from plain and gzip files, and chain-of-custody notes."""

from __future__ import annotations

import gzip
import json
import shutil

from analyzer import open_case
from analyzer.report import read_lines

from .conftest import CASE_DIR


def test_lines_are_quoted_exactly_from_plain_and_gzip_files(hand_case):
    refs = [
        {"file": "enactor/dns-enactor-use1-az4.log", "line": 34},
        {"file": "dns/resolver-vpc-0b2.jsonl.gz", "line": 6},
        {"file": "operator/actions.jsonl", "line": 1},
    ]
    quotes = read_lines(hand_case, refs)
    plain = (CASE_DIR / "enactor/dns-enactor-use1-az4.log").read_text().splitlines()[33]
    assert quotes[("enactor/dns-enactor-use1-az4.log", 34)].text == plain
    gz = gzip.decompress((CASE_DIR / "dns/resolver-vpc-0b2.jsonl.gz").read_bytes())
    assert quotes[("dns/resolver-vpc-0b2.jsonl.gz", 6)].text == gz.decode().splitlines()[5]
    op = quotes[("operator/actions.jsonl", 1)]
    assert "<script>" in json.loads(op.text)["note"] and op.problem is None


def test_problems_are_reported_not_raised(hand_case):
    quotes = read_lines(
        hand_case,
        [{"file": "nope.log", "line": 1}, {"file": "operator/actions.jsonl", "line": 999}],
    )
    assert quotes[("nope.log", 1)].problem == "the file is not in the case's inventory"
    assert quotes[("operator/actions.jsonl", 999)].problem == "no such line in the file"


def test_a_changed_or_vanished_file_is_said_so(tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(CASE_DIR / "operator", logs / "operator")
    case = open_case(tmp_path / "c.duckdb")
    case.ingest(logs)
    ref = [{"file": "operator/actions.jsonl", "line": 2}]
    assert read_lines(case, ref)[("operator/actions.jsonl", 2)].problem is None
    with (logs / "operator/actions.jsonl").open("a") as fh:
        fh.write('{"ts":"2025-10-20T07:00:00Z","component":"operator","action":"note"}\n')
    changed = read_lines(case, ref)[("operator/actions.jsonl", 2)]
    assert changed.text is not None and "changed since it was ingested" in changed.problem
    (logs / "operator/actions.jsonl").unlink()
    gone = read_lines(case, ref)[("operator/actions.jsonl", 2)]
    assert gone.text is None and "no longer at" in gone.problem


def test_long_lines_are_cut(hand_case):
    quote = read_lines(hand_case, [{"file": "planner/planner.jsonl", "line": 1}], max_chars=40)
    text = quote[("planner/planner.jsonl", 1)].text
    assert text.startswith('{"ts":"2025-10-20T06:39:30.000Z"') and "more characters]" in text
