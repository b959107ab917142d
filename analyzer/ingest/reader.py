"""Reading a log file as numbered lines, in large vectorized chunks.

Line numbers are evidence, so they must count every physical line, blank or broken
ones included. DuckDB's CSV/JSON readers skip blank lines and do not expose line
numbers, so the splitting happens here: numpy finds the newlines of a whole chunk at
once and the lines become a zero-copy Arrow array that DuckDB scans directly.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa

CHUNK_BYTES = 64 * 1024 * 1024
# Lines per Arrow record batch: DuckDB scans the batches of a chunk in parallel.
BATCH_ROWS = 32 * 1024
GZIP_MAGIC = b"\x1f\x8b"
# Bytes a blank line may start with (RE2's \s without \n, which never occurs in a line).
_SPACE_BYTES = np.array([9, 12, 13, 32], dtype=np.uint8)


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
    """A block of consecutive lines: ``line`` numbers and their content.

    The content column is ``text`` (UTF-8, validated) when the whole chunk is valid
    UTF-8, else ``raw`` (binary), to be decoded line by line in SQL. Line terminators
    (``\n`` and ``\r\n``) are removed.
    """

    table: pa.Table
    first_line: int
    longest: int | None = None  # bytes of the longest line (None: not known)
    maybe_blank: bool = True  # some line is empty or starts with white space

    @property
    def is_text(self) -> bool:
        return "text" in self.table.column_names


def _split(buf: bytes, first_line: int, final: bool) -> tuple[Chunk | None, bytes]:
    """Split ``buf`` at newlines; returns the complete lines and the unfinished tail.

    numpy finds the newlines; ``bytes.replace`` (memchr speed) drops them, so the
    lines become one contiguous buffer and an offsets array: a zero-copy Arrow array,
    cut into record batches so that DuckDB scans it with all its threads. The line
    lengths tell whether any line may need screening (empty, blank or oversized).
    """
    cut = buf.rfind(b"\n") + 1
    if final:
        cut = len(buf)
    if cut == 0:
        return None, buf
    body, tail = buf[:cut], buf[cut:]
    if b"\r" in body and b"\r\n" in body:  # memchr first: the two-byte search is slow
        body = body.replace(b"\r\n", b"\n")
    newlines = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == 10)
    data = body.replace(b"\n", b"")
    ends = newlines - np.arange(len(newlines), dtype=np.int64)
    if not body.endswith(b"\n"):  # the final line, without a terminator
        ends = np.append(ends, len(data))
    n = len(ends)
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    lengths = np.diff(offsets)
    starts = offsets[:-1][lengths > 0]
    first_bytes = np.frombuffer(data, dtype=np.uint8)[starts]
    maybe_blank = len(starts) < n or bool(np.isin(first_bytes, _SPACE_BYTES).any())
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    lines = pa.array(np.arange(first_line, first_line + n, dtype=np.int64))
    text = pa.LargeStringArray.from_buffers(n, buffers[1], buffers[2])
    try:
        text.validate(full=True)
        column = "text"
        values: pa.Array = text
    except pa.ArrowInvalid:
        column = "raw"
        values = pa.LargeBinaryArray.from_buffers(pa.large_binary(), n, buffers)
    batches = [
        pa.RecordBatch.from_arrays(
            [lines.slice(i, BATCH_ROWS), values.slice(i, BATCH_ROWS)], names=["line", column]
        )
        for i in range(0, n, BATCH_ROWS)
    ]
    table = pa.Table.from_batches(batches)
    return Chunk(table, first_line, int(lengths.max(initial=0)), maybe_blank), tail


def prefetch(chunks: Iterator[Chunk], depth: int = 2) -> Iterator[Chunk]:
    """Read and split the next chunks in a thread while DuckDB parses this one.

    Reading, hashing (hashlib releases the GIL) and splitting overlap with the SQL
    work, which also runs outside the GIL. Errors are re-raised in the caller.
    """
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        q.put(("chunk", chunk), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    chunks.close()  # type: ignore[attr-defined]
                    return
            q.put(("done", None))
        except BaseException as exc:  # handed to the consumer
            q.put(("error", exc))

    worker = threading.Thread(target=work, name="pf-reader", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "chunk":
                yield value
            elif kind == "done":
                return
            else:
                raise value
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.05)
        worker.join()


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
            yield from _split_blocks(
                blocks, state, skip_bytes, skip_sha256, first_line, hash_content=state.compressed
            )
        finally:
            hashing.drain()
            state.sha256 = hashing.sha256.hexdigest()
            if not state.compressed:  # the content is the file: one hash serves both
                state.content_sha256 = state.sha256


def _split_blocks(
    blocks: Iterator[bytes],
    state: ReadState,
    skip_bytes: int,
    skip_sha256: str | None,
    first_line: int,
    hash_content: bool,
) -> Iterator[Chunk]:
    """Split the decompressed blocks into chunks of lines (see ``read_chunks``).

    The content is hashed separately only when it differs from the file (gzip); the
    prefix of an appended file is always hashed, to prove it unchanged.
    """
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
            if hash_content:
                chash.update(data)
            state.content_bytes += len(data)
            if final:
                state.ends_with_newline = not buf
                if state.error is not None:
                    # The cut-off line is not a line the writer finished: report it as such.
                    state.error_tail, buf = buf, b""
            chunk, tail = _split(buf, line_no, final)
            if chunk is not None:
                line_no += chunk.table.num_rows
                yield chunk
            state.lines = line_no - first_line
            if final:
                break
    finally:
        if hash_content:
            state.content_sha256 = chash.hexdigest()
