"""The ``files`` rows of an ingest: what loading, skipping or refusing a file recorded.

The inventory is the chain of custody (sha256, sizes, identity) and the counts
identity of every file (lines = loaded + quarantined), with what was said of it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from .base import LoadContext, Source
from .identity import prefix_identity
from .reader import ReadState

DEFERRED_NOTE = "its last line has no line end yet"


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


class FileRecords:
    """The ``Ingestor``'s writing of ``files`` rows (a mixin: it needs the connection
    and the assumed zone)."""

    con: duckdb.DuckDBPyConnection
    assume_tz: str

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
