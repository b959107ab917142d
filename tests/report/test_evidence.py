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


def _reader_lines(path):
    """Every line as the ingest reader numbers and holds it (the reference; a byte order
    mark is not part of line 1)."""
    from analyzer.ingest.reader import ReadState, read_chunks

    out = {}
    for chunk in read_chunks(path, ReadState()):
        col = "text" if chunk.is_text else "raw"
        lines = zip(chunk.table["line"].to_pylist(), chunk.table[col].to_pylist(), strict=True)
        for n, v in lines:
            text = v.decode("utf-8", "replace") if isinstance(v, bytes) else v
            out[n] = text.rstrip("\r\n").removeprefix("\ufeff" if n == 1 else "")
    return out


def test_quotes_follow_the_reader_across_blocks_gzip_members_and_odd_lines(tmp_path, monkeypatch):
    from analyzer.report import evidence

    blocks = evidence._blocks
    monkeypatch.setattr(evidence, "_blocks", lambda path: blocks(path, 7))  # lines span blocks
    data = (
        b"\xef\xbb\xbffirst\r\n\n  \nlong " + b"x" * 50 + b"\n\xff broken utf-8\r\n"
        + "é日本\n".encode() + b"\r\nunterminated"
    )  # fmt: skip
    plain, packed = tmp_path / "a.log", tmp_path / "b.log.gz"
    plain.write_bytes(data)
    packed.write_bytes(gzip.compress(data[:20]) + gzip.compress(data[20:]))  # two members
    for path in (plain, packed):
        want = _reader_lines(path)
        assert len(want) >= 7 and want[1] == "first"
        got = evidence._find_lines(path, {*want, 8, 99}, 2000)
        # the unterminated last line is quoted as written (a plain file's waits to load)
        assert got == {**want, 8: "unterminated"}  # line 99 does not exist: not found
        cut = evidence._find_lines(path, {4}, 10)[4]
        assert cut == "long xxxxx… [45 more characters]"
    damaged = tmp_path / "c.log.gz"
    damaged.write_bytes(gzip.compress(data[:20]) + gzip.compress(data[20:])[:-12])
    got = evidence._find_lines(damaged, {1, 2, 6}, 2000)  # the lines before the damage
    assert (got[1], got[2], got[6]) == ("first", "", "é日本")


def test_an_unchanged_file_is_not_hashed_again_a_touched_one_is(tmp_path, monkeypatch):
    import os

    from analyzer.report import evidence

    logs = tmp_path / "logs"
    shutil.copytree(CASE_DIR / "operator", logs / "operator")
    case = open_case(tmp_path / "c.duckdb")
    case.ingest(logs)
    ref = [{"file": "operator/actions.jsonl", "line": 2}]
    hashed = []
    real = evidence._sha256
    monkeypatch.setattr(evidence, "_sha256", lambda p: hashed.append(p) or real(p))
    assert read_lines(case, ref)[("operator/actions.jsonl", 2)].problem is None
    assert hashed == []  # size and mtime as ingested: trusted, like the ingest does
    st = (logs / "operator/actions.jsonl").stat()
    os.utime(logs / "operator/actions.jsonl", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    touched = read_lines(case, ref)[("operator/actions.jsonl", 2)]
    assert len(hashed) == 1 and touched.problem is None and touched.text  # same bytes
