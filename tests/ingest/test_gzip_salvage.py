"""Gzip salvage: every line before the point of damage loads, and the status says where."""

from __future__ import annotations

import gzip
import random
import re
import subprocess
from pathlib import Path

import pytest

from analyzer import open_case
from analyzer.ingest.reader import ReadState, read_chunks

LINE = (
    '{{"query_timestamp":"2025-10-20T06:48:{s:02d}Z","query_name":"n{i}.example.com.",'
    '"query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[],"srcaddr":"10.0.0.5",'
    '"srcport":"1","transport":"UDP","vpc_id":"vpc-1"}}\n'
)
N = 14215


def text(n: int = N) -> bytes:
    return "".join(LINE.format(s=i % 60, i=i) for i in range(n)).encode()


def zcat_lines(path: Path) -> list[bytes]:
    """The complete lines ``zcat`` recovers (it stops at the damage, as we must)."""
    out = subprocess.run(["zcat", str(path)], capture_output=True, check=False).stdout
    return out.split(b"\n")[:-1]


def ingest(logs: Path):
    case = open_case()
    res = case.ingest(logs)
    assert len(res) == 1
    return case, res[0]


@pytest.mark.parametrize("where", ["crc", "size"])
def test_a_flipped_trailer_byte_loses_nothing(logs, where):
    blob = bytearray(gzip.compress(text()))
    blob[-8 if where == "crc" else -2] ^= 0xFF
    path = logs / "r.jsonl.gz"
    path.write_bytes(bytes(blob))
    _, r = ingest(logs)
    assert r.status == "partial"
    assert (r.lines, r.loaded, r.quarantined) == (N, N, 0)
    offset = int(re.search(r"at byte ([\d,]+)", r.message).group(1).replace(",", ""))
    assert len(blob) - 8 <= offset <= len(blob)
    assert len(zcat_lines(path)) == N  # what zcat recovers, we recover


def test_mid_stream_damage_keeps_every_line_before_it(logs):
    original = text().split(b"\n")[:-1]
    rnd = random.Random(11)
    for trial in range(4):
        blob = bytearray(gzip.compress(text(), compresslevel=6))
        at = rnd.randrange(len(blob) // 4, len(blob) * 3 // 4)
        blob[at] ^= 0x55
        path = logs / "r.jsonl.gz"
        path.write_bytes(bytes(blob))
        good_prefix = 0
        for ours, theirs in zip(zcat_lines(path), original, strict=False):
            if ours != theirs:
                break
            good_prefix += 1
        case, r = ingest(logs)
        assert r.status == "partial", trial
        assert r.lines == r.loaded + r.quarantined
        got = case.sql("SELECT line FROM dns_queries ORDER BY line")["line"].to_list()
        assert got[:good_prefix] == list(range(1, good_prefix + 1)), trial
        assert "at byte" in r.message
        path.unlink()


def test_a_gzip_cut_short_reports_where(tmp_path):
    blob = gzip.compress(text(2000))
    path = tmp_path / "r.gz"
    path.write_bytes(blob[: len(blob) // 2])
    state = ReadState()
    lines = sum(c.table.num_rows for c in read_chunks(path, state, chunk_bytes=1 << 16))
    assert lines > 0 and state.error is not None
    assert f"at byte {len(blob) // 2:,}" in state.error


def test_a_gzip_bomb_is_read_in_bounded_blocks(tmp_path):
    """Decompressed blocks stay bounded whatever the compression ratio."""
    line = b"x" * 200 + b"\n"
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(line * 500_000))  # 100 MB from about 100 KB
    assert path.stat().st_size < 1_000_000
    state = ReadState()
    biggest = 0
    for chunk in read_chunks(path, state, chunk_bytes=1 << 20):
        biggest = max(biggest, chunk.table.num_rows * 200)
    assert state.lines == 500_000 and state.error is None
    assert biggest <= 4 << 20
