"""Ingesting a directory into a case: discover, recognise, load, account.

Each file loads in one transaction, so an interrupted ingest leaves the case as it
was before that file and the next run completes it. A file seen before is not read
again unless its size or modification time changed; a grown file loads only its new
lines, after checking that its earlier content is unchanged.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from ..errors import InputError
from . import SOURCES
from .base import MACROS, QUARANTINE_RAW_CHARS, LoadContext, Source
from .batch import SMALL_FILE_BYTES, Batch, load_batch
from .chunks import MAX_LINE_BYTES, ChunkLoader, Lookahead
from .direct import load_direct
from .discover import relative_name, walk
from .document import load_document
from .identity import Reconciler
from .reader import CHUNK_BYTES, ReadState, prefetch, read_chunks
from .records import FileRecords, FileResult
from .sniff import sample_lines

# Chunks the reader thread may read ahead of DuckDB.
PREFETCH_CHUNKS = 2

Progress = Callable[[str, int, int], None]
"""Called as ``progress(file, bytes_done, bytes_total)`` while a file loads."""


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


class Ingestor(FileRecords, ChunkLoader):
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
            ahead = Lookahead(prefetch(chunks, PREFETCH_CHUNKS))
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


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back, unless DuckDB already did (an interrupted statement ends the
    transaction itself)."""
    with contextlib.suppress(duckdb.TransactionException):
        con.rollback()
