"""Splitting a block of bytes into numbered lines: a zero-copy Arrow array.

numpy finds the newlines of a whole block at once; the lines become Arrow string views
into the bytes (or a packed copy without terminators), cut into record batches that
DuckDB scans with all its threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

# Lines per Arrow record batch: DuckDB scans the batches of a chunk in parallel.
BATCH_ROWS = 32 * 1024
MIN_BATCH_ROWS = 2048
# Bytes a blank line may start with (RE2's \s without \n, which never occurs in a line).
_SPACE_BYTES = np.array([9, 12, 13, 32], dtype=np.uint8)


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
