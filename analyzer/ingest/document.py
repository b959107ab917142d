"""JSON documents that hold their events in one array (CloudTrail's ``{"Records": [...]}``).

The pipeline is line-oriented: a source reads ``_good(line, text)``. A document is
split here into its array's elements instead, so the same source SQL reads
``_good(line, record, text)``: ``record`` is the element's 0-based index and ``line``
the physical line it starts on (the evidence). numpy finds the structure of the whole
document at once (quotes, escapes, brackets outside strings, their depth); the
elements become a zero-copy Arrow string view array over the bytes read, which DuckDB
parses. No Python loop over events.

A document loads whole: its counts are of records (``lines`` = elements, plus one for a
cut-off tail), and a document that changed after it was loaded is reported as changed.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .reader import GZIP_MAGIC, ReadState, _gunzip_blocks, _HashingReader, _utf8

_HEAD = re.compile(rb'^\s*\{\s*"Records"\s*:\s*\[')
_KEY_BEFORE = re.compile(rb'"Records"\s*:\s*$')
_SPACE = b" \t\r\n"
# Byte lookup tables (one gather per byte, faster than np.isin): the depth change of a
# structural byte ({ [ +1, } ] -1, "," 0), which bytes are structural, which are blank.
_DELTA = np.zeros(256, np.int8)
_DELTA[[123, 91]], _DELTA[[125, 93]] = 1, -1
_IS_STRUCTURAL = np.zeros(256, bool)
_IS_STRUCTURAL[[123, 91, 125, 93, 44]] = True
_IS_BLANK = np.zeros(256, bool)
_IS_BLANK[list(_SPACE)] = True


def is_document(path: Path) -> bool:
    """Whether the (decompressed) file starts as a ``{"Records": [`` document."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head[:2] == GZIP_MAGIC:
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 4096)
        except zlib.error:
            return False
    return bool(_HEAD.match(head))


def read_document(path: Path, state: ReadState) -> bytes:
    """The whole decompressed content, hashed as the line reader hashes it.

    A truncated gzip keeps what was decoded and sets ``state.error``.
    """
    with path.open("rb") as fh:
        raw = _HashingReader(fh, state)
        state.compressed = fh.read(2) == GZIP_MAGIC
        fh.seek(0)
        parts: list[bytes] = []
        if state.compressed:
            try:
                parts.extend(_gunzip_blocks(raw, 4 * 1024 * 1024))
            except (EOFError, zlib.error, OSError) as exc:
                state.error = f"gzip stream ends early or is corrupt: {exc}"
        else:
            while data := raw.read(16 * 1024 * 1024):
                parts.append(data)
        raw.drain()
    content = b"".join(parts)
    state.sha256 = raw.sha256.hexdigest()
    state.content_sha256 = hashlib.sha256(content).hexdigest()
    state.content_bytes = len(content)
    state.ends_with_newline = content.endswith(b"\n")
    state.lines = content.count(b"\n") + (0 if state.ends_with_newline or not content else 1)
    return content


@dataclass
class Split:
    """The elements of a document's array, and what could not be read as one."""

    records: pa.Table  # line, record, text
    problems: list[tuple[int, str, str]]  # (line, reason, raw) of the document itself


def _unescaped_quotes(a: np.ndarray) -> np.ndarray:
    """Positions of the ``"`` not preceded by an odd run of backslashes."""
    quotes = np.flatnonzero(a == 34)
    slashes = np.flatnonzero(a == 92)
    if not len(slashes) or not len(quotes):
        return quotes
    run_start = np.ones(len(slashes), bool)
    run_start[1:] = np.diff(slashes) != 1
    starts = slashes[run_start]
    ends = np.append(slashes[np.flatnonzero(run_start)[1:] - 1], slashes[-1])
    # the run of backslashes that ends just before each quote, if any
    i = np.searchsorted(ends, quotes - 1)
    i_ok = i < len(ends)
    hit = np.zeros(len(quotes), bool)
    hit[i_ok] = ends[i[i_ok]] == quotes[i_ok] - 1
    odd = np.zeros(len(quotes), bool)
    odd[hit] = (ends[i[hit]] - starts[i[hit]] + 1) % 2 == 1
    return quotes[~odd]


def _line_of(newlines: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return np.searchsorted(newlines, pos, side="right").astype(np.int64) + 1


def _views(body: bytes, starts: np.ndarray, lengths: np.ndarray) -> pa.Array:
    """A string view array of ``body[start:start+length]`` (Arrow's layout, no copy)."""
    n = len(starts)
    arr = np.frombuffer(body, np.uint8)
    views = np.zeros((n, 4), np.int32)
    views[:, 0] = lengths
    long = lengths > 12
    at = starts[long]
    views[long, 1] = np.ascontiguousarray(arr[at[:, None] + np.arange(4)]).view("<i4")[:, 0]
    views[long, 3] = at
    for i in np.flatnonzero(~long):  # elements of at most 12 bytes: inline (rare)
        views.view(np.uint8).reshape(n, 16)[i, 4 : 4 + lengths[i]] = arr[
            starts[i] : starts[i] + lengths[i]
        ]
    return pa.Array.from_buffers(
        pa.string_view(), n, [None, pa.py_buffer(views), pa.py_buffer(body)]
    )


def split_records(content: bytes, cut_off: str | None = None) -> Split:
    """Split a ``{"Records": [...]}`` document into its elements.

    ``cut_off``: why the content ended early (a damaged gzip); the elements complete
    before the damage still load, the rest is one problem.
    """
    empty = pa.table(
        {
            "line": pa.array([], pa.int64()),
            "record": pa.array([], pa.int64()),
            "text": pa.array([], pa.string_view()),
        }
    )
    if len(content) >= 2**31:
        return Split(
            empty, [(1, "JSON document over 2 GiB", content[:2000].decode("utf-8", "replace"))]
        )
    if not _utf8(content):
        return Split(empty, [(1, "invalid UTF-8 in the JSON document", "")])
    a = np.frombuffer(content, np.uint8)
    newlines = np.flatnonzero(a == 10)
    quotes = _unescaped_quotes(a)
    s = np.flatnonzero(_IS_STRUCTURAL[a])
    s = s[np.searchsorted(quotes, s) % 2 == 0]  # outside strings
    c = a[s]
    delta = _DELTA[c].astype(np.int64)
    after_depth = np.cumsum(delta)
    depth = after_depth - delta  # depth before each structural byte
    opens = np.flatnonzero((c == 91) & (depth == 1))
    if not len(opens) or not _KEY_BEFORE.search(content[max(0, s[opens[0]] - 64) : s[opens[0]]]):
        return Split(
            empty,
            [
                (
                    1,
                    "not a CloudTrail document: no Records array",
                    content[:2000].decode("utf-8", "replace"),
                )
            ],
        )
    k0 = opens[0]
    after = np.flatnonzero(after_depth[k0 + 1 :] < 2)
    k_close = k0 + 1 + after[0] if len(after) else None
    inside = slice(k0 + 1, k_close)
    commas = k0 + 1 + np.flatnonzero((c[inside] == 44) & (depth[inside] == 2))
    seps = np.concatenate(([s[k0]], s[commas]))
    problems: list[tuple[int, str, str]] = []
    if k_close is not None:
        ends = np.append(s[commas], s[k_close])
    else:  # no closing bracket: the last element may be cut off
        ends = s[commas]
        tail = content[seps[-1] + 1 :]
        why = cut_off or "the JSON document ends before its Records array is closed"
        line = int(_line_of(newlines, np.array([seps[-1] + 1]))[0])
        raw = tail[:2000].decode("utf-8", "replace")
        problems.append((line, f"record {len(ends)}: cut off ({why})", raw))
        seps = seps[: len(ends)]
    starts = seps + 1
    lengths = ends - starts
    # the line an element starts on: its first non-blank byte (objects: their brace),
    # found by stepping all elements over their leading blanks at once
    lead = starts.copy()
    while len(lead):
        step = lead < ends
        step[step] = _IS_BLANK[a[lead[step]]]
        if not step.any():
            break
        lead[step] += 1
    blank = lead >= ends
    if len(starts) == 1 and blank[0] and k_close is not None:  # "[]": no records
        starts, lengths, lead, blank = starts[:0], lengths[:0], lead[:0], blank[:0]
    lines = _line_of(newlines, lead)
    if k_close is not None:
        rest = content[s[k_close] + 1 :].strip(_SPACE)
        if rest != b"}":
            line = int(_line_of(newlines, np.array([s[k_close]]))[0])
            problems.append(
                (
                    line,
                    "not a CloudTrail document: data after the Records array",
                    rest[:2000].decode("utf-8", "replace"),
                )
            )
    text = _views(content, starts.astype(np.int64), lengths.astype(np.int64))
    records = pa.table(
        {
            "line": pa.array(lines),
            "record": pa.array(np.arange(len(starts), dtype=np.int64)),
            "text": text,
        }
    )
    return Split(records, problems)


def load_document(
    ingestor: Any, root: Path, path: Path, rel: str, st: Any, source: Any, prev: Any
) -> Any:
    """Load a document file whole, in one transaction (``Ingestor._load``'s document path).

    A file loaded before is compared by content: the same bytes are ``unchanged``, any
    other content ``changed`` (a delivered CloudTrail file never grows).
    """
    from .base import LoadContext
    from .pipeline import FileResult

    con = ingestor.con
    state = ReadState()
    content = read_document(path, state)
    if prev:
        if prev["content_sha256"] == state.content_sha256:
            con.execute(
                "UPDATE files SET mtime_ns = ?, size = ? WHERE file = ?",
                [st.st_mtime_ns, st.st_size, rel],
            )
            counts = (prev["lines"], prev["loaded"], prev["quarantined"], prev["message"])
            return FileResult(rel, prev["source"], "unchanged", *counts)
        return ingestor._record_changed(rel, prev, "a JSON document is loaded whole")
    split = split_records(content, state.error)
    ctx = LoadContext(
        con, rel, ingestor.assume_tz, ingestor.assume_year, path=path, mtime_ns=st.st_mtime_ns
    )
    ctx.state["document"] = True
    con.begin()
    try:
        con.register("_records", split.records)
        con.execute("CREATE OR REPLACE TEMP VIEW _good AS SELECT line, record, text FROM _records")
        try:
            loaded, quarantined = source.load(ctx) if split.records.num_rows else (0, 0)
        finally:
            ctx.release_staged()
            con.unregister("_records")
        for line, reason, raw in split.problems:
            con.execute("INSERT INTO quarantine VALUES (?, ?, ?, ?)", [rel, line, reason, raw])
        quarantined += len(split.problems)
        n = split.records.num_rows + len(split.problems)
        ctx.notes.insert(
            0,
            f"JSON document: {split.records.num_rows} records on {state.lines} lines; "
            "counts are of records",
        )
        state.lines = n
        result = ingestor._record_loaded(
            root, rel, st, source, state, ctx, None, n, loaded, quarantined
        )
        con.commit()
        return result
    except BaseException:
        con.rollback()
        raise
