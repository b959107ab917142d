"""The reader's lines against a plain Python split, on seeded random byte soups.

Line numbers and contents are evidence, so every way the reader may cut a file
(string views or packed buffers, plain or gzip, blocks smaller than a line) must give
exactly ``data.split(b"\\n")`` with ``\\r\\n`` read as a line end; the screening hints
may over-report a line to screen but never miss one; the file is hashed whole, once.
"""

from __future__ import annotations

import gzip
import hashlib
import random
from pathlib import Path

import pytest

from analyzer.ingest.reader import ReadState, read_chunks

PIECES = [
    b"\n", b"\r\n", b"\r", b" ", b"\t", b"\x0c", b"a", b"hello world", b"x" * 12, b"y" * 13,
    b"\xff", b"\xc3\xa9", b"\xe2\x82", b'{"k":1}', b"0123456789abcdef" * 3,
]  # fmt: skip


def expected_lines(data: bytes) -> list[bytes]:
    if not data:
        return []
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
        return [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
    # the last line has no terminator: its \r (if any) is content
    return [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines[:-1]] + [lines[-1]]


def read_all(path: Path, **options) -> tuple[list[tuple[int, bytes]], ReadState]:
    state = ReadState()
    rows = []
    for chunk in read_chunks(path, state, **options):
        column = "text" if chunk.is_text else "raw"
        values = chunk.table.column(column).to_pylist()
        values = [v.encode() if isinstance(v, str) else v for v in values]
        for v in values:  # the hints may over-report, never miss
            if not v or v[:1] in (b" ", b"\t", b"\r", b"\x0c"):
                assert chunk.maybe_blank
        assert chunk.longest == max(len(v) for v in values)
        rows += zip(chunk.table.column("line").to_pylist(), values, strict=True)
    return rows, state


@pytest.mark.parametrize("views", [True, False])
@pytest.mark.parametrize("compressed", [False, True])
def test_lines_are_a_plain_split(tmp_path, views, compressed):
    rnd = random.Random(20251020)
    path = tmp_path / ("f.gz" if compressed else "f")
    for _ in range(60):
        data = b"".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, 200)))
        path.write_bytes(gzip.compress(data) if compressed else data)
        # a plain file's unterminated last line waits (its writer may be mid-line)
        content = data if compressed else data[: data.rfind(b"\n") + 1]
        want = list(enumerate(expected_lines(content), start=1))
        for chunk_bytes in (7, 100, 1 << 20):
            rows, state = read_all(path, views=views, chunk_bytes=chunk_bytes)
            assert rows == want, (data, chunk_bytes)
            assert state.lines == len(want)
            assert state.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
            assert state.content_sha256 == hashlib.sha256(content).hexdigest()
            assert state.content_bytes == len(content)
            assert state.deferred_bytes == len(data) - len(content)
            assert state.ends_with_newline == (not data or data.endswith(b"\n"))


def test_a_line_longer_than_the_block_stays_whole(tmp_path):
    data = b"a\n" + b"z" * 5000 + b"\nb\r\n"
    path = tmp_path / "f"
    path.write_bytes(data)
    rows, state = read_all(path, views=True, chunk_bytes=64)
    assert rows == [(1, b"a"), (2, b"z" * 5000), (3, b"b")]
    assert state.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("compressed", [False, True])
def test_over_long_lines_are_read_past_never_held_whole(tmp_path, compressed):
    """A line over ``max_line`` comes cut to ``max_line + 1`` bytes with its real size."""
    rnd = random.Random(11)
    limit = 30
    path = tmp_path / ("f.gz" if compressed else "f")
    pieces = [*PIECES, b"L" * 90, b"M" * 31]
    for _ in range(40):
        data = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 120)))
        path.write_bytes(gzip.compress(data) if compressed else data)
        content = data if compressed else data[: data.rfind(b"\n") + 1]
        raw = content.split(b"\n")
        if content.endswith(b"\n") or not content:
            raw.pop()
        lines = dict(enumerate(expected_lines(content), start=1))
        long = {i: len(r) for i, r in enumerate(raw, start=1) if len(r) > limit}
        for chunk_bytes in (7, 64, 1 << 20):
            state = ReadState()
            rows, overlong = {}, {}
            for chunk in read_chunks(path, state, chunk_bytes=chunk_bytes, max_line=limit):
                column = "text" if chunk.is_text else "raw"
                values = chunk.table.column(column).to_pylist()
                values = [v.encode() if isinstance(v, str) else v for v in values]
                rows.update(zip(chunk.table.column("line").to_pylist(), values, strict=True))
                overlong.update(chunk.overlong)
            assert list(rows) == list(lines), (data, chunk_bytes)
            for i, value in rows.items():  # whole, or (spanning blocks) cut, with its size
                if i in overlong:
                    assert value.rstrip(b"\r") == lines[i][: limit + 1].rstrip(b"\r")
                    assert overlong[i] == long[i]
                else:
                    assert value == lines[i]
            if chunk_bytes == 7:  # a line is held up to twice the limit plus a block, no more
                assert {i for i, n in long.items() if n > 2 * limit + 7} <= set(overlong)
            assert state.content_bytes == len(content)
            assert state.content_sha256 == hashlib.sha256(content).hexdigest()
            assert state.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
