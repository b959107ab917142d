"""Quoting the evidence: the raw log lines a finding rests on, read from the files.

A finding names ``file`` and ``line``; the case's ``files`` table knows where the file
was ingested from (``root``) and its sha256 at the time. The lines are read with the
ingest reader (vectorised, gzip-aware, same line numbering), so a quote is exactly
the line that was loaded. A file that moved, vanished or changed since it was
ingested is said so next to the quote: the chain of custody stays visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..ingest.reader import ReadState, read_chunks

MAX_QUOTE_CHARS = 2000


@dataclass(frozen=True)
class Quote:
    """One quoted line: its text, or why it could not be read (``problem``)."""

    file: str
    line: int
    text: str | None
    problem: str | None = None
    record: int | None = None  # the event's index in a JSON document (CloudTrail)

    def to_dict(self) -> dict[str, Any]:
        out = {"file": self.file, "line": self.line, "text": self.text, "problem": self.problem}
        return out | ({"record": self.record} if self.record is not None else {})


def read_lines(
    case: Any, refs: Iterable[Mapping[str, Any]], *, max_chars: int = MAX_QUOTE_CHARS
) -> dict[tuple[str, int], Quote]:
    """The raw text of each ``{file, line}`` in ``refs``, keyed by ``(file, line)``; of each
    ``{file, line, record}`` (an event of a JSON document), keyed by ``(file, line, record)``.

    Each file is read once, up to its last wanted line. Lines longer than ``max_chars``
    are cut (and say so); a trailing newline is dropped.
    """
    wanted: dict[str, set[int]] = {}
    records: dict[str, set[tuple[int, int]]] = {}
    for r in refs:
        if r and r.get("file") is not None and r.get("record") is not None:
            records.setdefault(str(r["file"]), set()).add((int(r["line"]), int(r["record"])))
        elif r and r.get("file") is not None and r.get("line") is not None:
            wanted.setdefault(str(r["file"]), set()).add(int(r["line"]))
    if not wanted and not records:
        return {}
    rows = case.con.execute(
        "SELECT file, root, sha256 FROM files WHERE file IN (SELECT unnest(?))",
        [sorted({*wanted, *records})],
    ).fetchall()
    known = {file: (root, sha) for file, root, sha in rows}
    out: dict[Any, Quote] = {}
    for file, lines in sorted(wanted.items()):
        root, sha = known.get(file, (None, None))
        out.update(_read_file(file, root, sha, lines, max_chars))
    for file, wanted_records in sorted(records.items()):
        root, sha = known.get(file, (None, None))
        out.update(_read_records(file, root, sha, wanted_records, max_chars))
    return out


def _read_records(
    file: str, root: str | None, sha: str | None, wanted: set[tuple[int, int]], max_chars: int
) -> dict[tuple[str, int, int], Quote]:
    """Records of a JSON document, keyed ``(file, line, record)``: the event's own text."""
    from ..ingest.document import read_document, split_records

    def quote(line: int, rec: int, text: str | None, problem: str | None) -> Quote:
        return Quote(file, line, text, problem, record=rec)

    path = Path(root) / file if root else None
    if path is None or not path.is_file():
        why = "the file is not in the case's inventory" if path is None else f"no file at {path}"
        return {(file, n, i): quote(n, i, None, why) for n, i in wanted}
    state = ReadState()
    try:
        split = split_records(read_document(path, state), state.error)
    except OSError as exc:
        return {(file, n, i): quote(n, i, None, f"cannot read {path}: {exc}") for n, i in wanted}
    note = (
        "the file changed since it was ingested (sha256 differs)" if sha != state.sha256 else None
    )
    texts = split.records.column("text")
    out = {}
    for n, i in wanted:
        if i >= split.records.num_rows:
            out[(file, n, i)] = quote(n, i, None, "no such record in the file")
            continue
        text = str(texts[i]).strip()  # the record as written (a pretty one spans lines)
        if len(text) > max_chars:
            text = text[:max_chars] + f"… [{len(text) - max_chars} more characters]"
        out[(file, n, i)] = quote(n, i, text, note)
    return out


def _read_file(
    file: str, root: str | None, sha: str | None, lines: set[int], max_chars: int
) -> dict[tuple[str, int], Quote]:
    def problem(text: str) -> dict[tuple[str, int], Quote]:
        return {(file, n): Quote(file, n, None, text) for n in lines}

    if root is None:
        return problem("the file is not in the case's inventory")
    path = Path(root) / file
    if not path.is_file():
        return problem(f"the file is no longer at {path}")
    state = ReadState()
    target = pa.array(sorted(lines), type=pa.int64())
    last = max(lines)
    found: dict[int, str | bytes] = {}
    chunks = read_chunks(path, state)
    try:
        for chunk in chunks:
            mask = pc.is_in(chunk.table["line"], value_set=target)
            hits = chunk.table.filter(mask)
            content = "text" if "text" in hits.column_names else "raw"
            for n, value in zip(hits["line"].to_pylist(), hits[content].to_pylist(), strict=True):
                found[n] = value
            if chunk.first_line + chunk.table.num_rows > last:
                break
    except OSError as exc:
        return problem(f"cannot read {path}: {exc}")
    finally:
        # closing the generator hashes the rest of the file: sha256 is complete after this
        chunks.close()  # type: ignore[attr-defined]
    changed = sha is not None and state.sha256 and state.sha256 != sha
    note = "the file changed since it was ingested (sha256 differs)" if changed else None
    out = {}
    for n in lines:
        value = found.get(n)
        if value is None:
            out[(file, n)] = Quote(file, n, None, "no such line in the file")
            continue
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        text = value.rstrip("\r\n")
        if len(text) > max_chars:
            text = text[:max_chars] + f"… [{len(text) - max_chars} more characters]"
        out[(file, n)] = Quote(file, n, text, note)
    return out
