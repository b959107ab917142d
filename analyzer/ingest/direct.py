"""A whole clean file read by DuckDB's own JSON reader: the fast path of a new file.

The line-by-line path (``reader`` + ``pipeline``) splits the bytes in Python and parses
each line from a string column; DuckDB's ``read_json`` parses the file in place at
about twice that speed. It skips blank lines and gives no line numbers, though, so it
is used only where it provably sees every physical line, in order, as one row:

* a thread reads the file once beside DuckDB (``FileScan``): the sha256 of the file
  (and of the decompressed content), the number of line ends, and whatever would make
  the fast path differ from the line path: a line over the limit, an unterminated last
  line, ``\\r``, a NUL byte, a backslash (an escape), a space or tab right after a
  ``"``, gzip damage. A gzip file is inflated twice, by the thread and by DuckDB:
  handed a FIFO instead, DuckDB holds the whole content in memory (1.18 GB for 10M
  lines), for no less CPU;
* DuckDB parses the file into a temp table in parallel, keeping the file's order
  (``preserve_insertion_order``, DuckDB's default, which the case keeps), so a row's
  number in it is its line's; the file is taken only if there is a row for every line
  the thread counted and each would load as it is on the line path (no reason to
  quarantine it, a zone);
* fields beyond the documented ones (kept in ``extra`` by the line path) are ruled out
  by counting keys: with no backslash, a ``"`` only ever opens or closes a string, so
  in JSON a ``":`` pair ends a key; with no space or tab right after a ``"``, every
  key ends so. The file's ``":`` pairs then equal the documented keys present (and
  those nested in them, counted in SQL on the parsed values) only when no line has
  another key (or a duplicated one, or a documented key set to ``null``).

Anything else, or any doubt, and the caller rolls back and loads the file line by line:
the result is the same either way, row for row (``tests/ingest/test_direct.py``).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from .base import WholeFile
from .evidence_io import BOM, GZIP_MAGIC, HEAD_BYTES, ReadState, is_gzip, open_evidence
from .gunzip import gunzip

BLOCK = 16 * 1024 * 1024
# Scanned in steps of this size, so that the GIL changes hands often.
_STEP = 1024 * 1024
# Bytes whose presence sends the file down the line path (see the module docstring).
_DOUBTS = (b"\r", b"\0", b"\\")
_NEWLINE = ord("\n")
_KEY_END = b'":'  # in JSON without escapes: the end of a key
_SPACED = (b'" ', b'"\t')  # where a key's end might be missed: sends the file away


@dataclass
class FileScan:
    """What the thread established about the file (``ReadState`` facts, plus checks)."""

    state: ReadState
    max_line: int
    newlines: int = 0
    keys: int = 0  # '":' pairs: the keys of the file's objects, at every depth
    doubt: str | None = None  # why the fast path cannot be trusted for this file
    _carry: int = 0  # bytes of the line in progress at the end of the last block
    _last: int = 10  # the last content byte seen (a line end to start with)
    _content: Any = field(default_factory=hashlib.sha256, repr=False)

    def content(self, buf: bytes | bytearray, n: int) -> None:
        """Count and check ``buf[:n]``, the next block of (decompressed) content."""
        st = self.state
        if len(st.head) < HEAD_BYTES:
            st.head += bytes(buf[: min(n, HEAD_BYTES - len(st.head))])
        if st.compressed:
            with memoryview(buf) as view:
                self._content.update(view[:n])
        st.content_bytes += n
        if not n:
            return
        prev = self._last
        for at in range(0, n, _STEP):
            stop = min(n, at + _STEP)
            step = np.frombuffer(buf, np.uint8, stop - at, at)  # vectorised: 4x bytes.count
            self.newlines += int(np.count_nonzero(step == _NEWLINE))
            edge = bytes((prev, buf[at]))  # the pair across the steps
            self.keys += _pairs(buf, at, stop, _KEY_END) + (edge == _KEY_END)
            if (buf.find(b" ", at, stop) >= 0 or buf.find(b"\t", at, stop) >= 0) and (
                edge in _SPACED or any(_pairs(buf, at, stop, p) for p in _SPACED)
            ):
                self.doubt = "a space or tab after a quote"
                return
            prev = buf[stop - 1]
            for byte in _DOUBTS:
                if buf.find(byte, at, stop) >= 0:
                    self.doubt = f"a {byte!r} byte"
                    return
        self._last = prev
        self._carry = _longest_ok(buf, n, self._carry, self.max_line)
        if self._carry < 0:
            self.doubt = "a line over the limit"

    def finish(self, sha256: str) -> None:
        st = self.state
        st.sha256 = sha256
        st.content_sha256 = self._content.hexdigest() if st.compressed else sha256
        st.lines = self.newlines
        if self._last != 10:
            self.doubt = self.doubt or "no line end at the end"


def _pairs(buf: bytes | bytearray, at: int, stop: int, pair: bytes) -> int:
    """How many times the two bytes ``pair`` occur in ``buf[at:stop]``: compared as
    16-bit words from ``at`` and from ``at + 1`` (a tenth of ``bytes.count``'s time)."""
    n, word = stop - at, int.from_bytes(pair, "little")
    even = np.frombuffer(buf, "<u2", n // 2, at)
    odd = np.frombuffer(buf, "<u2", (n - 1) // 2, at + 1)
    return int(np.count_nonzero(even == word)) + int(np.count_nonzero(odd == word))


def _longest_ok(buf: bytes | bytearray, end: int, carry: int, limit: int) -> int:
    """Bytes of the unfinished line after ``buf[:end]``, given ``carry`` bytes of it
    before; -1 if a line there is longer than ``limit``. Hops from one line end to the
    last one within reach, so it costs a search per ``limit`` bytes, not per line."""
    p = 0
    while carry >= 0:
        reach = p + limit + 1 - carry  # the line started at p must end before this
        if reach >= end:
            q = buf.rfind(b"\n", p, end)
            carry = carry + end - p if q < 0 else end - q - 1
            return carry if carry <= limit else -1
        q = buf.rfind(b"\n", p, reach)
        if q < 0:
            return -1
        p, carry = q + 1, 0
    return -1


def _scan(path: Path, scan: FileScan, stop: threading.Event, interrupt: Callable[[], None]) -> None:
    """Read, hash and check the file (a gzip file's content too, inflated here while
    DuckDB inflates its own copy). At the first doubt it stops and interrupts DuckDB:
    the file loads line by line anyway."""
    state = scan.state
    sha = hashlib.sha256()
    with open_evidence(path) as fh:
        state.compressed = fh.read(2) == GZIP_MAGIC
        fh.seek(0)
        if not state.compressed:
            buf = bytearray(BLOCK)  # one buffer, reused: no page faults per block
            with memoryview(buf) as view:
                while not stop.is_set():
                    got = fh.readinto(buf)  # type: ignore[attr-defined]
                    if not got:
                        break
                    sha.update(view[:got])
                    state.size += got
                    scan.content(buf, got)
                    if scan.doubt:
                        break
        else:
            _gunzip_scan(fh, scan, sha, stop)
    if scan.doubt:
        interrupt()
        return
    if state.head.startswith(BOM):
        scan.doubt = "a byte order mark"  # the key count is unaffected, but the line
        # path keeps line 1 without it: rare enough to leave to that path
    scan.finish(sha.hexdigest())


def _gunzip_scan(fh: Any, scan: FileScan, sha: Any, stop: threading.Event) -> None:
    def read(n: int) -> bytes:
        data = fh.read(n)
        sha.update(data)
        scan.state.size += len(data)
        return data

    try:
        for block in gunzip(read, itertools.repeat(BLOCK // 4)):
            if stop.is_set():
                return
            scan.content(block, len(block))
            if scan.doubt:
                return
    except (EOFError, OSError, ValueError) as exc:  # damage (salvaged by the line path)
        scan.doubt = f"gzip: {exc}"


def load_direct(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    whole: WholeFile,
    params: dict[str, Any],
    file: str,
    max_line: int,
) -> tuple[int, ReadState] | str:
    """Load the whole file into ``whole.table`` inside the caller's transaction: (rows,
    the file's ``ReadState``), or why not (nothing is inserted then)."""
    ordered = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    if not ordered[0][0]:
        return "DuckDB may reorder rows here (preserve_insertion_order is off)"
    state = ReadState()
    scan = FileScan(state, max_line)
    stop = threading.Event()
    compression = "gzip" if is_gzip(path) else "none"
    error: list[BaseException] = []
    worker = threading.Thread(
        target=_guarded, args=(error, _scan, path, scan, stop, con.interrupt), name="pf-direct"
    )
    worker.start()
    failed = True
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _direct AS {whole.select_sql}",
            {**params, "path": str(path), "compression": compression},
        )
        failed = False
    except (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.IOException) as exc:
        scan.doubt = scan.doubt or f"DuckDB: {str(exc).splitlines()[0]}"  # not JSON Lines
    except duckdb.InterruptException:
        if not scan.doubt:  # not the scan's interrupt: the user's
            raise
    finally:
        if failed:
            stop.set()  # the reading is of no use
        worker.join()
    if error:
        raise error[0]
    return scan.doubt or _insert(con, scan, whole, file)  # on a doubt the caller rolls back


def _insert(
    con: duckdb.DuckDBPyConnection, scan: FileScan, whole: WholeFile, file: str
) -> tuple[int, ReadState] | str:
    """Check ``_direct`` against the scan; insert it when they agree."""
    rows, keys, unloadable, first = con.execute(
        "SELECT count(*), coalesce(sum(keys), 0), count(*) FILTER (NOT loadable), "
        "min(rowid) FROM _direct"
    ).fetchall()[0]
    if rows != scan.newlines:
        return f"{rows} rows for {scan.newlines} lines"
    if unloadable:
        return f"{unloadable} lines to quarantine or with a time without zone"
    if keys != scan.keys:
        return "fields beyond the documented ones (or one twice, or set to null)"
    # ``_direct`` holds the rows in file order (DuckDB preserves the insertion order)
    con.execute(
        f"INSERT INTO {whole.table} BY NAME SELECT * EXCLUDE (loadable, keys), "
        "rowid - $first + 1 AS line, $file AS file FROM _direct",
        {"first": first, "file": file},
    )
    con.execute("DROP TABLE _direct")
    return rows, scan.state


def _guarded(error: list[BaseException], fn: Callable[..., None], *args: Any) -> None:
    try:
        fn(*args)
    except BaseException as exc:  # re-raised by the caller
        error.append(exc)
