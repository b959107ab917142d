"""Reading a log file as numbered lines, in large vectorized chunks.

Line numbers are evidence, so they must count every physical line, blank or broken
ones included. DuckDB's CSV/JSON readers skip blank lines and do not expose line
numbers, so the splitting happens here (``arrow_lines``: numpy finds the newlines of
a whole block at once, the lines become a zero-copy Arrow array that DuckDB scans),
over blocks read and hashed from the evidence (``evidence_io``) or decompressed from
it (``gunzip``). A new clean file may instead be read by DuckDB itself (``direct``).
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .arrow_lines import Chunk, _split, _utf8
from .evidence_io import (
    BOM,
    GZIP_MAGIC,
    HEAD_BYTES,
    NotRegularFile,
    ReadState,
    _HashingReader,
    is_gzip,
    open_evidence,
)
from .gunzip import GZIP_OUT_BLOCK, GzipDamage, gunzip

# what other modules read from here
__all__ = [
    "BOM",
    "CHUNK_BYTES",
    "GZIP_MAGIC",
    "HEAD_BYTES",
    "Chunk",
    "NotRegularFile",
    "ReadState",
    "_HashingReader",
    "_gunzip_blocks",
    "_utf8",
    "is_gzip",
    "open_evidence",
    "prefetch",
    "read_chunks",
]

CHUNK_BYTES = 64 * 1024 * 1024
# The first block of a file; the next ones double up to the chunk size.
FIRST_BLOCK = 4 * 1024 * 1024


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


def _ramp(block: int, first: int = FIRST_BLOCK) -> Iterator[int]:
    """Block sizes: small first, so DuckDB starts on a file while the rest is read."""
    size = min(block, first)
    while True:
        yield size
        size = min(block, size * 2)


def _plain_blocks(raw: _HashingReader, block: int) -> Iterator[bytearray]:
    for size in _ramp(block):
        data = raw.read_lines(size)
        if not data:
            return
        yield data


def _gunzip_blocks(raw: _HashingReader, block: int) -> Iterator[bytes]:
    sizes = _ramp(min(block, 4 * 1024 * 1024), FIRST_BLOCK // 8)  # compressed bytes
    return gunzip(raw.read, sizes, min(block, GZIP_OUT_BLOCK))


def read_chunks(
    path: Path,
    state: ReadState,
    *,
    skip_bytes: int = 0,
    skip_sha256: str | None = None,
    first_line: int = 1,
    chunk_bytes: int = CHUNK_BYTES,
    views: bool = False,
    max_line: int | None = None,
    continues_line: bool = False,
) -> Iterator[Chunk]:
    """Yield the file's lines in chunks, filling ``state`` as it goes.

    With ``continues_line`` the last line loaded before had no line end (a complete
    JSON object): the content after ``skip_bytes`` must start with that line end.

    A line over ``max_line`` bytes is never held whole: it is read past in blocks and
    yielded cut to ``max_line + 1`` bytes, its real length in ``Chunk.overlong``.

    With ``skip_bytes`` the first bytes of the (decompressed) content are not split
    but hashed and compared with ``skip_sha256``: that is how an appended log loads
    only its new lines. If the prefix differs, ``state.prefix_matches`` is False and
    nothing is yielded. The unterminated last line of a plain file is not yielded: its
    writer may be in the middle of it, so it waits (``state.deferred_bytes``) and the
    content hashed and counted stops before it. A truncated or corrupt gzip stops the
    reading with ``state.error`` set; the lines before it are yielded and the cut-off line is
    left in ``state.error_tail``. With ``views`` the text is an Arrow string view
    array over the bytes read (no copy; not every pyarrow kernel takes views).
    """
    with open_evidence(path) as raw_fh:
        hashing = _HashingReader(raw_fh, state, max_line)
        state.compressed = raw_fh.read(2) == GZIP_MAGIC
        raw_fh.seek(0)
        blocks = (_gunzip_blocks if state.compressed else _plain_blocks)(hashing, chunk_bytes)
        try:
            at_start = not skip_bytes
            if skip_bytes and not state.compressed:  # the content is the file: hash it once
                if not hashing.skip_prefix(skip_bytes, skip_sha256):
                    state.prefix_matches = False
                    return
                skip_bytes = 0
            yield from _split_blocks(
                blocks,
                state,
                skip_bytes,
                skip_sha256,
                first_line,
                hash_content=state.compressed,
                views=views,
                max_line=max_line,
                continues_line=continues_line,
                at_start=at_start,
            )
        finally:
            hashing.drain()
            state.sha256 = hashing.sha256.hexdigest()
            if not state.compressed:  # the content is the file: one hash serves both
                lines_hash = hashing.lines_sha256 if state.deferred_bytes else None
                state.content_sha256 = lines_hash.hexdigest() if lines_hash else state.sha256


def _complete_json(line: bytes | bytearray) -> bool:
    """Whether ``line`` is a whole JSON object (which a writer cannot be in the middle of)."""
    text = bytes(line).strip()
    if not (text.startswith(b"{") and text.endswith(b"}")):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _drop_prefix(buf: bytearray, n: int) -> bytearray:
    del buf[:n]
    return buf


def _split_blocks(
    blocks: Iterator[bytes] | Iterator[bytearray],
    state: ReadState,
    skip_bytes: int,
    skip_sha256: str | None,
    first_line: int,
    hash_content: bool,
    views: bool = False,
    max_line: int | None = None,
    continues_line: bool = False,
    at_start: bool = True,
) -> Iterator[Chunk]:
    """Split the decompressed blocks into chunks of lines (see ``read_chunks``).

    The content is hashed separately only when it differs from the file (gzip); the
    prefix of an appended gzip file is hashed here, to prove it unchanged (a plain
    file's was read and hashed before: ``_HashingReader.skip_prefix``).
    """
    chash = state._content_hash
    line_no = first_line
    tail = b""
    to_skip = skip_bytes
    at_start = at_start and not skip_bytes  # a byte order mark is not part of line 1
    long_head: bytes | None = None  # the start of an over-long line being read past
    long_len = 0
    try:
        while True:
            try:
                data = next(blocks, b"")
            except (GzipDamage, EOFError, zlib.error, OSError) as exc:
                state.error = str(exc)
                data = b""
            if len(state.head) < HEAD_BYTES and data:
                state.head += bytes(data[: HEAD_BYTES - len(state.head)])
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
            if continues_line and data:  # the line loaded last must end here, as it was
                continues_line = False
                end = 1 if data[:1] == b"\n" else 2 if data[:2] == b"\r\n" else 0
                if not end:
                    state.prefix_matches = False
                    return
                if hash_content:
                    chash.update(data[:end])
                state.content_bytes += end
                data = data[end:]
                if not data:
                    continue
            final = not data
            buf: bytes | bytearray = bytearray(tail) + data if tail else data  # plain: no tail
            if hash_content:
                chash.update(data)
            state.content_bytes += len(data)
            if long_head is not None:  # reading past an over-long line
                nl = data.find(b"\n")
                if nl < 0 and not final:
                    long_len += len(data)
                    continue
                if nl < 0 and state.error is None and not hash_content:
                    state.deferred_bytes = long_len  # unterminated: it waits, like any line
                    state.content_bytes -= long_len
                    state.ends_with_newline = False
                    break
                long_len += nl if nl >= 0 else len(data)
                stand_in, _ = _split(long_head + b"\n", line_no, False, views)
                assert stand_in is not None
                stand_in.overlong[line_no] = long_len
                line_no += 1
                state.lines = line_no - first_line
                yield stand_in
                long_head = None
                buf = data[nl + 1 :] if nl >= 0 else b""
                if not buf and not final:
                    continue
            if final:
                state.ends_with_newline = not buf
                if state.error is not None:
                    # The cut-off line is not a line the writer finished: report it as such.
                    state.error_tail, buf = bytes(buf), b""
                elif buf and not hash_content and not _complete_json(buf):
                    # a plain file's unterminated last line: its writer may be mid-line
                    # (a whole JSON object cannot be cut: it is complete as it is)
                    state.deferred_bytes = len(buf)
                    state.content_bytes -= len(buf)
                    buf = b""
            if at_start and buf:
                at_start = False
                if buf[:3] == BOM:
                    buf = buf[3:] if isinstance(buf, bytes) else _drop_prefix(buf, 3)
            chunk, tail = _split(buf, line_no, final, views)
            if chunk is not None:
                line_no += chunk.table.num_rows
                yield chunk
            state.lines = line_no - first_line
            if max_line is not None and len(tail) > max_line:
                long_head, long_len, tail = tail[: max_line + 1], len(tail), b""
            if final:
                break
    finally:
        if hash_content:
            state.content_sha256 = chash.hexdigest()
