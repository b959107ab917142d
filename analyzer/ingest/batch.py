"""Many small files load as one: a directory of 10,000 small logs in seconds, not minutes.

A file loaded alone costs a transaction and a dozen statements whatever its size (about
40 ms: 10,000 files took ten minutes). New small files of a source that reads lines
alone (``Source.batchable``: no header, no per-file state) are read one by one (each
hashed, counted and screened as usual), their lines numbered on into one chunk under a
placeholder name, loaded by the source in one pass, then given back their own names
and line numbers with one join per table. The batch is one transaction: an interrupted
batch leaves none of its files, and the next run loads them again.

Whatever is said of a file (zone-less or year-less times, notes of the source) must
be said per file: if the batch says anything, it is rolled back and its files load
one by one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from .base import LoadContext, Source
from .reader import Chunk, ReadState, read_chunks

if TYPE_CHECKING:
    from .pipeline import FileResult, Ingestor

SMALL_FILE_BYTES = 256 * 1024
BATCH_BYTES = 32 * 1024 * 1024
BATCH_FILES = 4000
BATCH_NAME = "/batch"  # no relative path starts with /: the rows' name until they get theirs


@dataclass
class Batch:
    """New small files of one source waiting to load together, and where their results go."""

    source: Source
    items: list[tuple[int, str, Path, os.stat_result]] = field(default_factory=list)
    size: int = 0

    def add(self, index: int, rel: str, path: Path, st: os.stat_result) -> None:
        self.items.append((index, rel, path, st))
        self.size += st.st_size

    @property
    def full(self) -> bool:
        return self.size >= BATCH_BYTES or len(self.items) >= BATCH_FILES


def load_batch(ing: Ingestor, root: Path, batch: Batch) -> dict[int, FileResult] | None:
    """Load the batch in one transaction; None when its files must load one by one."""
    con = ing.con
    con.begin()
    try:
        results = _load(ing, root, batch)
    except BaseException:
        con.rollback()
        raise
    if results is None:
        con.rollback()
    else:
        con.commit()
    return results


def _load(ing: Ingestor, root: Path, batch: Batch) -> dict[int, FileResult] | None:
    con, source = ing.con, batch.source
    files: list[tuple[int, str, os.stat_result, ReadState, int]] = []
    tables: list[pa.Table] = []
    offset = 0
    longest, maybe_blank, has_nul = 0, False, False
    for index, rel, path, st in batch.items:
        state = ReadState()
        chunks = list(read_chunks(path, state, chunk_bytes=2 * SMALL_FILE_BYTES))
        if state.error or any(not c.is_text for c in chunks):
            return None  # damage to report for this file: one by one
        for c in chunks:
            table = c.table
            assert isinstance(table, pa.Table)
            lines = pa.array(np.asarray(table.column("line")) + offset)
            tables.append(pa.table({"line": lines, "text": table.column("text")}))
            longest = max(longest, c.longest or 0)
            maybe_blank = maybe_blank or c.maybe_blank
            has_nul = has_nul or c.has_nul
        files.append((index, rel, st, state, offset))
        offset += state.lines
    ctx = LoadContext(con, BATCH_NAME, ing.assume_tz, ing.assume_year)
    if tables:
        table = pa.concat_tables(tables).combine_chunks()  # tiny batches scan slowly
        chunk = Chunk(table, 1, longest, maybe_blank, has_nul)
        ing._load_chunk(ctx, source, chunk)
    if ctx.zoneless or ctx.yearless or ctx.notes:
        return None
    _rename_rows(ing, source, files)
    quarantined = dict(
        con.execute(
            "SELECT file, count(*) FROM quarantine WHERE file IN (SELECT file FROM _batch_files)"
            " GROUP BY file"
        ).fetchall()
    )
    rows, results = [], {}
    for index, rel, st, state, _ in files:
        bad = quarantined.get(rel, 0)
        row, result = ing.file_row(
            root, rel, st, source, state, ctx, None, state.lines, state.lines - bad, bad
        )
        rows.append(row)
        results[index] = result
    con.register("_batch_rows", pa.Table.from_pylist(rows))
    con.execute(
        "INSERT OR REPLACE INTO files BY NAME SELECT *, now() AS ingested_at FROM _batch_rows"
    )
    con.unregister("_batch_rows")
    con.execute("DROP TABLE _batch_files")
    return results


def _rename_rows(
    ing: Ingestor, source: Source, files: list[tuple[int, str, os.stat_result, ReadState, int]]
) -> None:
    """Give the batch's rows their own file names and line numbers (one join a table)."""
    con = ing.con
    names = [rel for _, rel, _, _, _ in files]
    counts = np.array([state.lines for _, _, _, state, _ in files], dtype=np.int64)
    starts = np.array([start for *_, start in files], dtype=np.int64)
    which = np.repeat(np.arange(len(files)), counts)
    gline = np.arange(1, int(counts.sum()) + 1, dtype=np.int64)
    line = gline - starts[which]
    con.register(
        "_batch_lines_arrow",
        pa.table({"gline": gline, "file": pa.array(names).take(pa.array(which)), "line": line}),
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _batch_lines AS SELECT * FROM _batch_lines_arrow")
    con.unregister("_batch_lines_arrow")
    con.register("_batch_names", pa.table({"file": names}))
    con.execute("CREATE OR REPLACE TEMP TABLE _batch_files AS SELECT * FROM _batch_names")
    con.unregister("_batch_names")
    for table in (*source.tables, "quarantine"):
        con.execute(
            f"UPDATE {table} SET file = m.file, line = m.line FROM _batch_lines m "
            f"WHERE {table}.file = $batch AND {table}.line = m.gline",
            {"batch": BATCH_NAME},
        )
    con.execute("DROP TABLE _batch_lines")
