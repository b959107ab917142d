"""Loading a file's chunks: screening their lines, then the source's parse.

A chunk arrives from the reader as Arrow lines; a single-scan source gets runs of
clean chunks as one stream (one statement per run), other chunks are screened for
lines that cannot be records (invalid UTF-8, NUL bytes, blank or oversized) first.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pyarrow as pa

from .base import QUARANTINE_RAW_CHARS, GoodLines, LoadContext, Source
from .reader import Chunk
from .registered import Registration, registered

MAX_LINE_BYTES = 1024 * 1024
# Chunks handed to a single-scan source in one statement (see ``ChunkLoader._load_next``).
# They are kept until the statement ends (``GoodLines.rescan``): 256 MiB at the default
# chunk size; longer runs are no faster and take more memory.
STREAM_CHUNKS = 4


class ChunkLoader:
    """The ``Ingestor``'s loading of chunks (a mixin: it needs the connection)."""

    con: duckdb.DuckDBPyConnection
    _chunk: Registration | None = None  # the chunk being loaded, as ``_chunk``

    def _load_next(self, ctx: LoadContext, source: Source, ahead: Lookahead) -> tuple[int, int]:
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
        """Load the chunk (``_parse_chunk``); nothing the source staged is kept after."""
        try:
            return self._parse_chunk(ctx, source, chunk)
        finally:
            ctx.release_staged()

    def _parse_chunk(self, ctx: LoadContext, source: Source, chunk: Chunk) -> tuple[int, int]:
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


class Lookahead:
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

    def __init__(self, ahead: Lookahead, limit: int):
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
