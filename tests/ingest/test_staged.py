"""A source that stages each chunk (``LoadContext.stage``) keeps nothing of a chunk once
the chunk is loaded.

A file loads in one transaction, and DuckDB keeps every temp table replaced in a
transaction until it ends: staged in temp tables, a file's chunks all stayed (memory,
then spill, growing with the file; benchmarks/RESULTS.md "Hostile input"). Watched here
through DuckDB's own account of its in-memory tables after every chunk of one file.
"""

from __future__ import annotations

import pytest

from analyzer import open_case
from analyzer.ingest.chunks import ChunkLoader
from tests.conftest import DATA

OWN = DATA / "ingest"
CHUNK = 16 * 1024
# (directory of the source's test data, its file): each written many times over as one file
FILES = [("bind", "named.log"), ("zeek", "dns.log"), ("coredns", "kubectl.log")]
IN_MEMORY = """SELECT coalesce(sum(memory_usage_bytes + temporary_storage_bytes), 0)
               FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'"""


def _rows(case, file: str) -> list[tuple]:
    return case.sql(
        "SELECT * EXCLUDE (file) FROM dns_queries WHERE file = ? ORDER BY line", [file]
    ).rows()


@pytest.mark.parametrize(("source", "name"), FILES)
def test_a_staged_chunk_is_not_kept_until_the_file_commits(tmp_path, monkeypatch, source, name):
    text = (OWN / source / name).read_text()
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / name).write_text(text * (40 * CHUNK // len(text) + 1))  # about 40 chunks
    samples: list[int] = []
    load_chunk = ChunkLoader._load_chunk

    def watched(self, ctx, src, chunk):
        result = load_chunk(self, ctx, src, chunk)
        samples.append(self.con.execute(IN_MEMORY).fetchall()[0][0])
        return result

    monkeypatch.setattr(ChunkLoader, "_load_chunk", watched)
    with open_case(tmp_path / "case.duckdb") as case:
        (chunked,) = case.ingest(logs, assume_year=2025, chunk_bytes=CHUNK)
        rows = _rows(case, name)
    assert chunked.source.startswith(source) and chunked.loaded > 0
    assert len(samples) >= 30
    # Staged in temp tables, each chunk added 0.45 to 1 MB here; what grows now is the
    # rows loaded, which the transaction holds until it commits (20 to 35 kB a chunk).
    per_chunk = (samples[-1] - samples[2]) / (len(samples) - 3)
    assert per_chunk < 128 * 1024, samples
    monkeypatch.undo()
    with open_case() as whole:
        (one,) = whole.ingest(logs, assume_year=2025)
        assert _rows(whole, name) == rows
    assert (one.lines, one.loaded, one.quarantined) == (
        chunked.lines,
        chunked.loaded,
        chunked.quarantined,
    )
