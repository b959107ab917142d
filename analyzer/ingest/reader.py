"""Reading a log file as numbered lines, in large vectorized chunks.

Line numbers are evidence, so they must count every physical line, blank or broken
ones included. DuckDB's CSV/JSON readers skip blank lines and do not expose line
numbers, so the splitting happens here: numpy finds the newlines of a whole chunk at
once and the lines become a zero-copy Arrow array that DuckDB scans directly.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

CHUNK_BYTES = 64 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


@dataclass
class ReadState:
    """What reading a file established, filled in as the chunks are consumed."""

    sha256: str = ""
    size: int = 0  # raw bytes read so far (progress), the file size once done
    content_sha256: str = ""
    content_bytes: int = 0
    lines: int = 0
    ends_with_newline: bool = True
    compressed: bool = False
    prefix_matches: bool = True
    error: str | None = None
    error_tail: bytes = b""
    _content_hash: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)


class _HashingReader:
    """Wraps the raw file so that every byte read is hashed (chain of custody)."""

    def __init__(self, fh: BinaryIO, state: ReadState):
        self._fh = fh
        self._state = state
        self.sha256 = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self.sha256.update(data)
        self._state.size += len(data)
        return data

    def readable(self) -> bool:
        return True

    def drain(self) -> None:
        """Hash the rest of the file (after an early stop or a gzip error)."""
        while self.read(CHUNK_BYTES):
            pass


@dataclass
class Chunk:
    """A block of consecutive lines: ``line`` numbers and ``raw`` bytes (newline kept)."""

    table: pa.Table
    first_line: int
    bytes_done: int


def _split(buf: bytes, first_line: int, final: bool) -> tuple[pa.Table | None, bytes]:
    """Split ``buf`` at newlines; returns the complete lines and the unfinished tail."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10) + 1
    if final and (len(ends) == 0 or ends[-1] != len(buf)) and len(buf) > 0:
        ends = np.append(ends, len(buf))
    if len(ends) == 0:
        return None, buf
    n = len(ends)
    offsets = np.empty(n + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = ends
    raw = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(buf)]
    )
    lines = pa.array(np.arange(first_line, first_line + n, dtype=np.int64))
    table = pa.table({"line": lines, "raw": raw})
    return table, buf[int(ends[-1]) :]


def _plain_blocks(raw: _HashingReader, block: int) -> Iterator[bytes]:
    while data := raw.read(block):
        yield data


def _gunzip_blocks(raw: _HashingReader, block: int) -> Iterator[bytes]:
    """Decompress gzip (several members allowed) block by block.

    Unlike ``gzip.GzipFile`` this yields everything decoded before a truncation or
    corruption, so the lines before the damage still load.
    """
    dec = zlib.decompressobj(wbits=31)
    while data := raw.read(min(block, 4 * 1024 * 1024)):
        while data:
            out = dec.decompress(data)
            if out:
                yield out
            if not dec.eof:
                break
            data = dec.unused_data
            if data.strip(b"\0"):
                dec = zlib.decompressobj(wbits=31)
            else:
                data = b""
    if not dec.eof:
        raise EOFError("compressed file ended before the end-of-stream marker was reached")


def read_chunks(
    path: Path,
    state: ReadState,
    *,
    skip_bytes: int = 0,
    skip_sha256: str | None = None,
    first_line: int = 1,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[Chunk]:
    """Yield the file's lines in chunks, filling ``state`` as it goes.

    With ``skip_bytes`` the first bytes of the (decompressed) content are not split
    but hashed and compared with ``skip_sha256``: that is how an appended log loads
    only its new lines. If the prefix differs, ``state.prefix_matches`` is False and
    nothing is yielded. A truncated or corrupt gzip stops the reading with
    ``state.error`` set; the lines before it are yielded and the cut-off line is
    left in ``state.error_tail``.
    """
    with path.open("rb") as raw_fh:
        hashing = _HashingReader(raw_fh, state)
        state.compressed = raw_fh.read(2) == GZIP_MAGIC
        raw_fh.seek(0)
        blocks = (_gunzip_blocks if state.compressed else _plain_blocks)(hashing, chunk_bytes)
        try:
            yield from _split_blocks(blocks, state, skip_bytes, skip_sha256, first_line)
        finally:
            hashing.drain()
            state.sha256 = hashing.sha256.hexdigest()


def _split_blocks(
    blocks: Iterator[bytes],
    state: ReadState,
    skip_bytes: int,
    skip_sha256: str | None,
    first_line: int,
) -> Iterator[Chunk]:
    chash = state._content_hash
    line_no = first_line
    tail = b""
    to_skip = skip_bytes
    try:
        while True:
            try:
                data = next(blocks, b"")
            except (EOFError, zlib.error, OSError) as exc:
                state.error = f"gzip stream ends early or is corrupt: {exc}"
                data = b""
            if to_skip and data:
                head, data = data[:to_skip], data[to_skip:]
                chash.update(head)
                to_skip -= len(head)
                state.content_bytes += len(head)
                if to_skip:
                    continue
                if chash.copy().hexdigest() != skip_sha256:
                    state.prefix_matches = False
                    return
                if not data:
                    continue
            elif to_skip:
                state.prefix_matches = False
                return
            final = not data
            buf = tail + data if tail else data
            chash.update(data)
            state.content_bytes += len(data)
            if final:
                state.ends_with_newline = not buf
                if state.error is not None:
                    # The cut-off line is not a line the writer finished: report it as such.
                    state.error_tail, buf = buf, b""
            table, tail = _split(buf, line_no, final)
            if table is not None:
                line_no += table.num_rows
                yield Chunk(table, line_no - table.num_rows, state.content_bytes)
            state.lines = line_no - first_line
            if final:
                break
    finally:
        state.content_sha256 = chash.hexdigest()
