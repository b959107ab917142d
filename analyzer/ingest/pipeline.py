"""Ingesting a directory into a case: discover, recognise, load, account.

Each file loads in one transaction, so an interrupted ingest leaves the case as it
was before that file and the next run completes it. A file seen before is not read
again unless its size or modification time changed; a grown file loads only its new
lines, after checking that its earlier content is unchanged.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import InputError
from . import SOURCES
from .base import MACROS, QUARANTINE_RAW_CHARS, GoodLines, LoadContext, Source
from .batch import SMALL_FILE_BYTES, Batch, load_batch
from .direct import load_direct
from .discover import relative_name, walk
from .document import load_document
from .identity import Reconciler, prefix_identity
from .reader import CHUNK_BYTES, Chunk, ReadState, prefetch, read_chunks
from .registered import Registration, registered
from .sniff import sample_lines

MAX_LINE_BYTES = 1024 * 1024
# Chunks the reader thread may read ahead of DuckDB.
PREFETCH_CHUNKS = 2
# Chunks handed to a single-scan source in one statement (see ``Ingestor._load_next``).
# They are kept until the statement ends (``GoodLines.rescan``): 256 MiB at the default
# chunk size; longer runs are no faster and take more memory.
STREAM_CHUNKS = 4
DEFERRED_NOTE = "its last line has no line end yet"

Progress = Callable[[str, int, int], None]
"""Called as ``progress(file, bytes_done, bytes_total)`` while a file loads."""


@dataclass
class FileResult:
    """What ingesting one file did (one row of the ingest summary)."""

    file: str
    source: str | None
    status: str
    lines: int = 0
    loaded: int = 0
    quarantined: int = 0
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def detect_source(path: Path, profiles: Sequence[Source] = ()) -> tuple[Source | None, str | None]:
    """Recognise a file's source: the first profile whose ``detect`` its first non-empty
    line matches, else a majority vote of the built-in sources over its first lines,
    read from the first line some source recognises (past a preamble)."""
    known = (*profiles, *SOURCES)
    lines, problem = sample_lines(path, lambda ln: any(s.sniff(ln) for s in known))
    if problem:
        return None, problem
    if not lines:
        return None, "no non-empty line"
    for profile in profiles:
        if profile.sniff(lines[0]):
            return profile, None
    best, best_hits = None, 0
    for source in SOURCES:
        hits = sum(1 for ln in lines if source.sniff(ln))
        if hits > best_hits:
            best, best_hits = source, hits
    if best is None:
        return None, f"no known log source (first line: {lines[0][:120]!r})"
    return best, None


class Ingestor:
    """Loads files into an open case connection. Used through ``Case.ingest``."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        assume_tz: str = "UTC",
        assume_year: int | None = None,
        chunk_bytes: int = CHUNK_BYTES,
        progress: Progress | None = None,
        profiles: Sequence[Source] = (),
        direct: bool = True,
    ):
        self.con = con
        self.profiles = tuple(profiles)
        self.assume_tz = assume_tz
        self.assume_year = assume_year
        self.chunk_bytes = chunk_bytes
        self.progress = progress
        self.direct = direct  # new clean files of a ``Source.direct`` through DuckDB's reader
        self._known: dict[str, dict[str, Any]] | None = None  # files rows, for one run
        self._chunk: Registration | None = None  # the chunk being loaded, as ``_chunk``
        for macro in MACROS:
            con.execute(macro)

    def ingest(self, root: Path) -> list[FileResult]:
        root = root.resolve()
        if not root.is_dir():
            raise InputError(f"not a directory: {root}")
        if not os.access(root, os.R_OK | os.X_OK):
            raise InputError(f"directory is not readable: {root}")
        entries = list(walk(root))
        present = {p.relative_to(root).as_posix(): p for p, why in entries if why is None}
        reconciler = Reconciler(self.con, root, present)
        self.con.begin()
        try:
            reconciler.run()
            self.con.commit()
        except BaseException:
            _rollback(self.con)
            raise
        self._known = self._known_files(root)
        results: list[FileResult | None] = []
        batches: dict[str, Batch] = {}
        for path, problem in entries:
            rel = path.relative_to(root).as_posix()
            if rel in reconciler.copies:
                copied = reconciler.copies[rel]
                why = f"a copy of {copied}, whose lines are loaded under that name"
                results.append(self._record_skip(root, rel, None, why))
            elif problem is None:
                batch = self._add_to_batch(batches, len(results), rel, path)
                results.append(None if batch else self.ingest_file(root, path))
                if batch and batch.full:
                    self._flush(root, batches.pop(batch.source.name), results)
            else:
                results.append(
                    self._record_skip(root, relative_name(root, path, problem), None, problem)
                )
        for batch in batches.values():
            self._flush(root, batch, results)
        return [r for r in results if r is not None]

    def _known_files(self, root: Path) -> dict[str, dict[str, Any]]:
        cur = self.con.execute("SELECT * FROM files WHERE root = ?", [str(root)])
        names = [d[0] for d in cur.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}

    def _add_to_batch(
        self, batches: dict[str, Batch], index: int, rel: str, path: Path
    ) -> Batch | None:
        """Queue a new small file of a batchable source (see ``batch``): its batch, or
        None when it loads alone."""
        try:
            st = path.stat()
            if st.st_size > SMALL_FILE_BYTES or rel in (self._known or {}):
                return None
            source, _ = detect_source(path, self.profiles)
        except OSError:
            return None  # reported when it loads alone
        if source is None or not source.batchable:
            return None
        batch = batches.setdefault(source.name, Batch(source))
        batch.add(index, rel, path, st)
        return batch

    def _flush(self, root: Path, batch: Batch, results: list[FileResult | None]) -> None:
        loaded = load_batch(self, root, batch)
        for index, rel, path, st in batch.items:
            if not loaded:
                results[index] = self.ingest_file(root, path)
                continue
            results[index] = loaded[index]
            if self.progress:
                self.progress(rel, st.st_size, st.st_size)

    def _previous(self, rel: str) -> dict[str, Any] | None:
        if self._known is not None:
            return self._known.get(rel)
        cur = self.con.execute("SELECT * FROM files WHERE file = ?", [rel])
        rows = cur.fetchall()
        if not rows:
            return None
        return dict(zip([d[0] for d in cur.description], rows[0], strict=True))

    def ingest_file(self, root: Path, path: Path) -> FileResult:
        rel = path.relative_to(root).as_posix()
        try:
            st = path.stat()
            prev = self._previous(rel)
            if prev and prev["size"] == st.st_size and prev["mtime_ns"] == st.st_mtime_ns:
                return FileResult(
                    rel,
                    prev["source"],
                    "unchanged",
                    prev["lines"],
                    prev["loaded"],
                    prev["quarantined"],
                    prev["message"],
                )
            if prev and prev["status"] not in ("skipped",):
                return self._load_again(root, path, rel, st, prev)
            source, problem = detect_source(path, self.profiles)
            if source is None:
                return self._record_skip(root, rel, st, problem or "unknown")
            return self._load(root, path, rel, st, source, None)
        except OSError as exc:
            if exc.filename != str(path):  # not about reading this file: not the file's fault
                raise
            return self._record_skip(root, rel, None, f"cannot read: {exc.strerror or exc}")

    def _load_again(
        self, root: Path, path: Path, rel: str, st: os.stat_result, prev: dict[str, Any]
    ) -> FileResult:
        source = next((s for s in (*self.profiles, *SOURCES) if s.name == prev["source"]), None)
        if source is None:  # a source this version no longer knows, or a profile not given
            why = f"unknown source {prev['source']!r} (a profile not given this time?)"
            return FileResult(rel, prev["source"], "changed", message=why)
        if source.document is not None and source.document(path):
            return load_document(self, root, path, rel, st, source, prev)
        if not prev["ends_with_newline"] and prev["deferred_bytes"] is None:
            # loaded by an earlier version, which loaded an unterminated last line as it was
            return self._record_changed(rel, prev, "its last line was incomplete when loaded")
        return self._load(root, path, rel, st, source, prev)

    def _record_changed(self, rel: str, prev: dict[str, Any], why: str) -> FileResult:
        message = (
            f"content changed since it was loaded ({why}); the loaded version is kept "
            "and the new one is not mixed in: ingest into a new case to load it"
        )
        self.con.execute(
            "UPDATE files SET status = 'changed', message = ? WHERE file = ?", [message, rel]
        )
        return FileResult(
            rel,
            prev["source"],
            "changed",
            prev["lines"],
            prev["loaded"],
            prev["quarantined"],
            message,
        )

    def _record_skip(self, root: Path, rel: str, st: os.stat_result | None, why: str) -> FileResult:
        if st is None:
            try:
                st = os.lstat(root / rel)
            except OSError:
                st = None
        self.con.execute(
            """INSERT OR REPLACE INTO files (file, root, source, status, message, size, mtime_ns,
                   lines, loaded, quarantined, ingested_at)
               VALUES (?, ?, NULL, 'skipped', ?, ?, ?, 0, 0, 0, now())""",
            [rel, str(root), why, st and st.st_size, st and st.st_mtime_ns],
        )
        return FileResult(rel, None, "skipped", message=why)

    def _load(
        self,
        root: Path,
        path: Path,
        rel: str,
        st: os.stat_result,
        source: Source,
        prev: dict[str, Any] | None,
    ) -> FileResult:
        if source.document is not None and source.document(path):
            return load_document(self, root, path, rel, st, source, prev)
        if self.direct and prev is None and source.direct is not None:
            direct = self._load_direct(root, path, rel, st, source)
            if direct is not None:
                return direct
        con = self.con
        ctx = LoadContext(
            con, rel, self.assume_tz, self.assume_year, path=path, mtime_ns=st.st_mtime_ns
        )
        state = ReadState()
        first_line = (prev["lines"] + 1) if prev else 1
        loaded = quarantined = 0
        con.begin()
        try:
            chunks = read_chunks(
                path,
                state,
                skip_bytes=prev["content_bytes"] if prev else 0,
                skip_sha256=prev["content_sha256"] if prev else None,
                first_line=first_line,
                chunk_bytes=self.chunk_bytes,
                views=True,
                max_line=MAX_LINE_BYTES,
                # its last line was loaded without a line end: the growth must add one
                continues_line=bool(
                    prev and not prev["ends_with_newline"] and not prev["deferred_bytes"]
                ),
            )
            ahead = _Lookahead(prefetch(chunks, PREFETCH_CHUNKS))
            try:
                while ahead.peek() is not None:
                    n_ok, n_bad = self._load_next(ctx, source, ahead)
                    loaded += n_ok
                    quarantined += n_bad
                    if self.progress:
                        self.progress(rel, state.size, st.st_size)
            finally:
                ahead.close()
            if prev and not state.prefix_matches:
                con.rollback()
                return self._record_changed(rel, prev, "earlier lines differ")
            lines = state.lines
            if state.error_tail:
                lines += 1
                quarantined += 1
                con.execute(
                    "INSERT INTO quarantine VALUES (?, ?, ?, ?)",
                    [
                        rel,
                        first_line + state.lines,
                        "line cut off: " + (state.error or ""),
                        state.error_tail[:QUARANTINE_RAW_CHARS].decode("utf-8", "replace"),
                    ],
                )
            result = self._record_loaded(
                root, rel, st, source, state, ctx, prev, lines, loaded, quarantined
            )
            con.commit()
            return result
        except BaseException:
            _rollback(con)
            raise

    def _load_direct(
        self, root: Path, path: Path, rel: str, st: os.stat_result, source: Source
    ) -> FileResult | None:
        """Load a new file through DuckDB's own reader (``direct``); None when it must
        load line by line (nothing of it is kept)."""
        assert source.direct is not None
        con = self.con
        ctx = LoadContext(con, rel, self.assume_tz, self.assume_year, path=path)
        con.begin()
        try:
            params = {"tz": self.assume_tz}
            got = load_direct(con, path, source.direct, params, rel, MAX_LINE_BYTES)
            if isinstance(got, str):
                _rollback(con)
                return None
            rows, state = got
            result = self._record_loaded(root, rel, st, source, state, ctx, None, rows, rows, 0)
            con.commit()
        except BaseException:
            _rollback(con)
            raise
        if self.progress:
            self.progress(rel, st.st_size, st.st_size)
        return result

    def _load_next(self, ctx: LoadContext, source: Source, ahead: _Lookahead) -> tuple[int, int]:
        """Load the next chunk, or for a single-scan source the next run of clean chunks.

        A source that reads ``_good`` once (``Source.single_scan``) gets up to
        ``STREAM_CHUNKS`` consecutive clean chunks as one Arrow stream: one statement
        per run instead of per chunk, so DuckDB keeps all its threads busy (a statement
        per 64 MiB chunk leaves them half idle), starts before the run is read and
        writes whole row groups (small ones cost a merge at the next checkpoint).
        Chunks that need screening load one by one.
        """
        chunk = ahead.peek()
        assert chunk is not None
        if not (source.single_scan and _clean(chunk)):
            return self._load_chunk(ctx, source, ahead.take())
        stream = _CleanStream(ahead, STREAM_CHUNKS)
        ctx.good = GoodLines(rows=stream.rows, rescan=lambda: self._rescan(stream))
        result = self._load_chunk(ctx, source, stream.chunk())
        stream.raise_error()
        return result

    def _rescan(self, stream: _CleanStream) -> None:
        assert self._chunk is not None
        self._chunk.replace(stream.table())

    def _load_chunk(self, ctx: LoadContext, source: Source, chunk: Chunk) -> tuple[int, int]:
        """Screen the chunk's lines (encoding, size, blank), then let the source parse them.

        A chunk that is valid UTF-8 is scanned by DuckDB straight from Arrow; only a
        chunk with an invalid line is decoded line by line (``try(decode(...))``). When
        the reader saw no line that could be empty, blank or too long (the usual case),
        the chunk is the ``_good`` view as it is.
        """
        con = self.con
        with registered(con, "_chunk", chunk.table) as self._chunk:
            if _clean(chunk):
                con.execute("CREATE OR REPLACE TEMP VIEW _good AS SELECT line, text FROM _chunk")
                if isinstance(chunk.table, pa.Table):
                    ctx.good = GoodLines(rows=lambda: chunk.table.num_rows)
                return source.load(ctx)
            if chunk.is_text:
                lines = "SELECT line, text, strlen(text) AS nbytes, NULL::BLOB AS raw FROM _chunk"
                ok, bad, screened = self._screen_and_load(ctx, source, chunk, lines)
                return ok, bad + screened
            decoded = con.sql(
                """SELECT line, raw, octet_length(raw) AS nbytes,
                          CASE WHEN octet_length(raw) <= $max THEN try(decode(raw)) END AS text
                   FROM _chunk""",
                params={"max": MAX_LINE_BYTES},
            ).to_arrow_table()
            with registered(con, "_binary_lines", decoded):
                lines = "SELECT line, text, nbytes, raw FROM _binary_lines"
                ok, bad, screened = self._screen_and_load(ctx, source, chunk, lines)
        return ok, bad + screened

    def _screen_and_load(
        self, ctx: LoadContext, source: Source, chunk: Chunk, lines: str
    ) -> tuple[int, int, int]:
        """Quarantine the chunk's lines that cannot be records (``lines`` selects them
        with their size and text), then let the source load the others."""
        con = self.con
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW _lines AS
                SELECT *, nbytes > {MAX_LINE_BYTES} OR text IS NULL
                          OR regexp_matches(text, '^\\s*$') OR contains(text, chr(0))
                          AS screened
                FROM ({lines})"""
        )
        con.execute(
            """INSERT INTO quarantine
               SELECT $file, line,
                   CASE WHEN nbytes > $max
                            THEN 'line too long (' || nbytes || ' bytes; the limit is '
                                 || $max || ')'
                        WHEN text IS NULL THEN 'invalid UTF-8'
                        WHEN contains(text, chr(0)) THEN 'NUL byte in line'
                        ELSE 'empty line' END,
                   left(coalesce(text, raw::VARCHAR), $keep)
               FROM _lines WHERE screened""",
            {"file": ctx.file, "max": MAX_LINE_BYTES, "keep": QUARANTINE_RAW_CHARS},
        )
        for line, nbytes in chunk.overlong.items():  # cut by the reader: its real size
            con.execute(
                "UPDATE quarantine SET reason = ? WHERE file = ? AND line = ?",
                [
                    f"line too long ({nbytes} bytes; the limit is {MAX_LINE_BYTES})",
                    ctx.file,
                    line,
                ],
            )
        screened = ctx.count("SELECT count(*) FROM _lines WHERE screened")
        ctx.good = GoodLines(rows=lambda: chunk.table.num_rows - screened)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW _good AS SELECT line, text FROM _lines WHERE NOT screened"
        )
        ok, bad = source.load(ctx)
        return ok, bad, screened

    def _record_loaded(self, *args: Any) -> FileResult:
        """Write the ``files`` row of a file just loaded (``file_row``'s arguments)."""
        row, result = self.file_row(*args)
        self.con.execute(
            f"INSERT OR REPLACE INTO files ({', '.join(row)}, ingested_at) "
            f"VALUES ({', '.join('?' * len(row))}, now())",
            list(row.values()),
        )
        return result

    def file_row(
        self,
        root: Path,
        rel: str,
        st: os.stat_result,
        source: Source,
        state: ReadState,
        ctx: LoadContext,
        prev: dict[str, Any] | None,
        lines: int,
        loaded: int,
        quarantined: int,
    ) -> tuple[dict[str, Any], FileResult]:
        """The ``files`` row of a file just loaded (but ``ingested_at``), and its result."""
        notes = list(ctx.notes)
        if ctx.zoneless:
            notes.append(f"{ctx.zoneless} timestamps had no zone and were read as {self.assume_tz}")
        if ctx.yearless:
            notes.append(
                f"{ctx.yearless} timestamps had no year and were read in {ctx.assume_year}"
            )
        if state.error:
            notes.append(state.error)
        if state.deferred_bytes:
            notes.append(f"{DEFERRED_NOTE} ({state.deferred_bytes} bytes): it loads once complete")
        status = "partial" if state.error else ("appended" if prev else "loaded")
        if prev:
            lines += prev["lines"]
            loaded += prev["loaded"]
            quarantined += prev["quarantined"]
            # what was said of the earlier lines still holds (but a deferred line is read now)
            said = [n for n in (prev["message"] or "").split("; ") if n]
            notes[:0] = [n for n in said if not n.startswith(DEFERRED_NOTE)]
        message = "; ".join(notes) or None
        identity, identity_bytes = prefix_identity(state.head, state.content_bytes)
        row = {
            "file": rel,
            "root": str(root),
            "source": source.name,
            "status": status,
            "message": message,
            "sha256": state.sha256,
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "compressed": state.compressed,
            "content_bytes": state.content_bytes,
            "content_sha256": state.content_sha256,
            "ends_with_newline": state.ends_with_newline,
            "lines": lines,
            "loaded": loaded,
            "quarantined": quarantined,
            "assumed_tz": self.assume_tz if ctx.zoneless else None,
            "assumed_year": ctx.assume_year if ctx.yearless else None,
            "prefix_sha256": identity,
            "prefix_bytes": identity_bytes,
            "device": st.st_dev,
            "inode": st.st_ino,
            "deferred_bytes": state.deferred_bytes,
        }
        return row, FileResult(rel, source.name, status, lines, loaded, quarantined, message)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back, unless DuckDB already did (an interrupted statement ends the
    transaction itself)."""
    with contextlib.suppress(duckdb.TransactionException):
        con.rollback()


def _clean(chunk: Chunk) -> bool:
    """Valid UTF-8, and no line that may be empty, blank, too long or hold a NUL byte:
    nothing to screen."""
    return (
        chunk.is_text
        and not chunk.maybe_blank
        and not chunk.has_nul
        and chunk.longest is not None
        and chunk.longest <= MAX_LINE_BYTES
    )


class _Lookahead:
    """An iterator of chunks with one chunk of lookahead."""

    def __init__(self, chunks: Iterator[Chunk]):
        self._chunks = chunks
        self._next: Chunk | None = None
        self._peeked = False

    def peek(self) -> Chunk | None:
        if not self._peeked:
            self._next = next(self._chunks, None)
            self._peeked = True
        return self._next

    def take(self) -> Chunk:
        chunk = self.peek()
        assert chunk is not None
        self._peeked = False
        self._next = None
        return chunk

    def close(self) -> None:
        self._chunks.close()  # type: ignore[attr-defined]


class _CleanStream:
    """Consecutive clean chunks as one chunk whose table is an Arrow batch stream.

    DuckDB pulls the batches from its own threads (one at a time); an error of the
    reader is kept and raised in the caller after the statement, not inside DuckDB.
    The chunks read are kept until the run is loaded, for ``GoodLines.rescan``.
    """

    def __init__(self, ahead: _Lookahead, limit: int):
        self._ahead = ahead
        self._limit = limit
        self._error: BaseException | None = None
        self._taken: list[Chunk] = []
        first = ahead.peek()
        assert first is not None
        self._first = first

    def rows(self) -> int:
        return sum(chunk.table.num_rows for chunk in self._taken)

    def table(self) -> pa.Table:
        """The lines streamed so far, as a table (to read them again)."""
        batches = [b for chunk in self._taken for b in chunk.table.to_batches()]
        return pa.Table.from_batches(batches, schema=self._first.table.schema)

    def chunk(self) -> Chunk:
        reader = pa.RecordBatchReader.from_batches(self._first.table.schema, self._batches())
        return Chunk(
            reader, self._first.first_line, self._first.longest, maybe_blank=False, has_nul=False
        )

    def _batches(self) -> Iterator[pa.RecordBatch]:
        schema = self._first.table.schema
        try:
            for _ in range(self._limit):
                chunk = self._ahead.peek()
                if chunk is None or not _clean(chunk) or chunk.table.schema != schema:
                    return
                self._taken.append(self._ahead.take())
                yield from chunk.table.to_batches()
        except GeneratorExit:
            raise
        except BaseException as exc:
            self._error = exc

    def raise_error(self) -> None:
        if self._error is not None:
            raise self._error
