"""Reading a log file as numbered lines, in large vectorized chunks.

Line numbers are evidence, so they must count every physical line, blank or broken
ones included. DuckDB's CSV/JSON readers skip blank lines and do not expose line
numbers, so the splitting happens here: numpy finds the newlines of a whole chunk at
once and the lines become a zero-copy Arrow array that DuckDB scans directly.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import queue
import stat
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa

from .gunzip import GZIP_OUT_BLOCK, GzipDamage, gunzip

CHUNK_BYTES = 64 * 1024 * 1024
# The first block of a file; the next ones double up to the chunk size.
FIRST_BLOCK = 4 * 1024 * 1024
# Lines per Arrow record batch: DuckDB scans the batches of a chunk in parallel.
BATCH_ROWS = 32 * 1024
MIN_BATCH_ROWS = 2048
GZIP_MAGIC = b"\x1f\x8b"
# The buffer an appended plain file's known prefix is read and hashed through.
PREFIX_BLOCK = 16 * 1024 * 1024
# The first content bytes kept in ``ReadState.head`` (the file's identity).
HEAD_BYTES = 4096
# Bytes a blank line may start with (RE2's \s without \n, which never occurs in a line).
_SPACE_BYTES = np.array([9, 12, 13, 32], dtype=np.uint8)


BOM = b"\xef\xbb\xbf"


class NotRegularFile(OSError):
    """The path is no longer a regular file (a link, FIFO or device put in its place)."""


def open_evidence(path: Path) -> BinaryIO:
    """Open a regular file for reading, never through a link and never blocking on a
    FIFO: what was checked when the tree was walked is what gets read."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(0, "not a regular file", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_gzip(path: Path) -> bool:
    with open_evidence(path) as fh:
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
    deferred_bytes: int = 0  # an unterminated last line, left for when it is complete
    head: bytes = b""  # the first bytes of the content (the file's identity)
    compressed: bool = False
    prefix_matches: bool = True
    error: str | None = None
    error_tail: bytes = b""
    _content_hash: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)


class _HashingReader:
    """Wraps the raw file so that every byte read is hashed (chain of custody)."""

    def __init__(self, fh: BinaryIO, state: ReadState, max_line: int | None = None):
        self._fh = fh
        self._state = state
        self.max_line = max_line
        self.sha256 = hashlib.sha256()
        # the hash up to the last line end, when what was read ends mid-line (None: it
        # ends at a line end, and the hash is ``sha256``)
        self.lines_sha256: hashlib._Hash | None = None

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self.sha256.update(data)
        self._state.size += len(data)
        return data

    def read_lines(self, size: int) -> bytearray:
        """About ``size`` bytes that end at a line end (all of a longer line; less at the
        end of the file). The unfinished line is left in the file for the next call, so
        blocks need no gluing (no copy of the block) and each byte is hashed once.
        """
        buf = bytearray(size)
        n = self._fill(buf, 0)
        while n == len(buf) and buf.rfind(b"\n") < 0:  # a line longer than the block
            if self.max_line is not None and n > self.max_line:
                break  # too long to load: handed on in pieces, never whole
            buf.extend(bytes(len(buf)))
            n = self._fill(buf, n)
        last_nl = buf.rfind(b"\n", 0, n)
        cut = n if n < len(buf) or last_nl < 0 else last_nl + 1
        if cut < n:
            self._fh.seek(cut - n, io.SEEK_CUR)
        del buf[cut:]
        end = buf.rfind(b"\n") + 1
        if not buf:
            return buf
        if end == len(buf):  # at a line end
            self.sha256.update(buf)
            self.lines_sha256 = None
        elif end == 0:  # a piece of a long line: the last line end was before it
            if self.lines_sha256 is None:
                self.lines_sha256 = self.sha256.copy()
            self.sha256.update(buf)
        else:  # the end of the file, in the middle of a line
            with memoryview(buf) as view:
                self.sha256.update(view[:end])
                self.lines_sha256 = self.sha256.copy()
                self.sha256.update(view[end:])
        self._state.size += cut
        return buf

    def _fill(self, buf: bytearray, start: int) -> int:
        with memoryview(buf) as view:
            while start < len(buf):
                got = self._fh.readinto(view[start:])  # type: ignore[attr-defined]
                if not got:
                    break
                start += got
        return start

    def skip_prefix(self, n: int, sha256: str | None) -> bool:
        """Read and hash the first ``n`` bytes (an appended file's known prefix) into a
        reused buffer: the file's hash after them is the prefix's, so each byte is
        hashed once and never split or copied. Whether it equals ``sha256``."""
        buf = bytearray(min(n, PREFIX_BLOCK))
        left = n
        with memoryview(buf) as view:
            while left:
                got = self._fh.readinto(view[: min(left, len(buf))])  # type: ignore[attr-defined]
                if not got:
                    return False  # shorter than before: not an append
                if len(self._state.head) < HEAD_BYTES:
                    self._state.head += bytes(view[: HEAD_BYTES - len(self._state.head)])
                self.sha256.update(view[:got])
                self._state.size += got
                self._state.content_bytes += got
                left -= got
        return self.sha256.hexdigest() == sha256

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
    UTF-8, else ``raw`` (binary), to be decoded line by line in SQL; large string or
    binary arrays, or their view types when read with ``views``. Line terminators
    (``\n`` and ``\r\n``) are removed. ``longest`` and ``maybe_blank`` let the
    pipeline skip screening a chunk with nothing to screen.
    """

    table: pa.Table | pa.RecordBatchReader  # a reader: several chunks, to scan once
    first_line: int
    longest: int | None = None  # bytes of the longest line (None: not known)
    maybe_blank: bool = True  # some line is empty or starts with white space
    has_nul: bool = True  # some line holds a NUL byte (damage: quarantined)
    # lines over the reader's limit, cut to the limit + 1 byte: line -> their real bytes
    overlong: dict[int, int] = field(default_factory=dict)

    @property
    def is_text(self) -> bool:
        return "text" in self.table.schema.names


def _split(
    buf: bytes | bytearray, first_line: int, final: bool, views: bool = False
) -> tuple[Chunk | None, bytes]:
    """Split ``buf`` at newlines; returns the complete lines and the unfinished tail.

    numpy finds the newlines. With ``views`` the lines become an Arrow string view
    array over ``buf`` itself (no copy: each view is a length and an offset); else
    ``bytes.replace`` (memchr speed) drops the newlines so the lines are one contiguous
    buffer and an offsets array. Either way the table is cut into record batches that
    DuckDB scans with all its threads, and the line lengths tell whether any line may
    need screening (empty, blank or oversized).
    """
    cut = len(buf) if final else buf.rfind(b"\n") + 1
    if cut == 0:
        return None, bytes(buf)
    tail = bytes(buf[cut:])  # at most a line: no copy of the block
    if cut == len(buf):
        body = buf
    elif isinstance(buf, bytearray):
        del buf[cut:]
        body = buf
    else:
        body = buf[:cut]
    if views and len(body) < 2**31:  # view offsets are 32-bit
        column, values, lengths, maybe_blank = _view_lines(body)
    else:
        column, values, lengths, maybe_blank = _packed_lines(body)
    n = len(lengths)
    lines = pa.array(np.arange(first_line, first_line + n, dtype=np.int64))
    rows = min(BATCH_ROWS, max(MIN_BATCH_ROWS, n // 8))  # a small chunk: smaller batches
    batches = [
        pa.RecordBatch.from_arrays(
            [lines.slice(i, rows), values.slice(i, rows)], names=["line", column]
        )
        for i in range(0, n, rows)
    ]
    table = pa.Table.from_batches(batches)
    has_nul = body.find(b"\0") >= 0
    return Chunk(table, first_line, int(lengths.max(initial=0)), maybe_blank, has_nul), tail


def _utf8(data: bytes | bytearray) -> bool:
    """Whether all of ``data`` is UTF-8 (then so is every line of it)."""
    whole = pa.LargeStringArray.from_buffers(
        1, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)), pa.py_buffer(data)
    )
    try:
        whole.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _maybe_blank(data: bytes | bytearray, starts: np.ndarray, lengths: np.ndarray) -> bool:
    """Whether a line is empty or starts with white space (may be blank: to screen)."""
    first_bytes = np.frombuffer(data, dtype=np.uint8)[starts[lengths > 0]]
    return bool((lengths == 0).any()) or bool(np.isin(first_bytes, _SPACE_BYTES).any())


def _packed_lines(body: bytes | bytearray) -> tuple[str, pa.Array, np.ndarray, bool]:
    """The lines without terminators, packed into a new buffer (large string/binary)."""
    if body.find(b"\r") >= 0 and body.find(b"\r\n") >= 0:  # memchr first: \r\n is slow
        body = body.replace(b"\r\n", b"\n")
    newlines = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == 10)
    data = body.replace(b"\n", b"")
    ends = newlines - np.arange(len(newlines), dtype=np.int64)
    if not body.endswith(b"\n"):  # the final line, without a terminator
        ends = np.append(ends, len(data))
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    lengths = np.diff(offsets)
    blank = _maybe_blank(data, offsets[:-1], lengths)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    if _utf8(data):
        return "text", pa.LargeStringArray.from_buffers(len(ends), *buffers[1:]), lengths, blank
    binary = pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(ends), buffers)
    return "raw", binary, lengths, blank


def _view_lines(body: bytes | bytearray) -> tuple[str, pa.Array, np.ndarray, bool]:
    """The lines as string (or binary) views into ``body``: 16 bytes per line, no copy.

    A view holds the length, then the line itself when it has at most 12 bytes, else
    its first 4 bytes, buffer 0 and its offset (Arrow's layout, little-endian).
    """
    arr = np.frombuffer(body, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    unterminated = len(body) > (newlines[-1] + 1 if len(newlines) else 0)
    ends = np.append(newlines, len(body)) if unterminated else newlines
    n = len(ends)
    starts = np.empty(n, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts
    if body.find(b"\r") >= 0:  # drop the \r of \r\n (not of the unterminated last line)
        crlf = np.zeros(n, dtype=bool)
        ends_nl = newlines[lengths[: len(newlines)] > 0]
        crlf[: len(newlines)][lengths[: len(newlines)] > 0] = arr[ends_nl - 1] == 13
        lengths -= crlf
    views = np.zeros((n, 4), dtype=np.int32)
    views[:, 0] = lengths
    long = lengths > 12
    at = starts[long]
    prefix = np.ascontiguousarray(arr[at[:, None] + np.arange(4)])
    views[long, 1] = prefix.view("<i4")[:, 0]
    views[long, 3] = at
    short = np.flatnonzero(~long)
    if len(short):
        k = np.arange(12)
        at = starts[short, None] + k
        inline = np.where(k < lengths[short, None], arr[np.minimum(at, len(arr) - 1)], 0)
        views.view(np.uint8).reshape(n, 16)[short, 4:] = inline
    utf8 = _utf8(body)
    kind, column = (pa.string_view(), "text") if utf8 else (pa.binary_view(), "raw")
    array = pa.Array.from_buffers(kind, n, [None, pa.py_buffer(views), pa.py_buffer(body)])
    return column, array, lengths, _maybe_blank(body, starts, lengths)


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
