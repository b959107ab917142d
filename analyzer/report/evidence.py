"""Quoting the evidence: the raw log lines a finding rests on, read from the files.

A finding names ``file`` and ``line``; the case's ``files`` table knows where the file
was ingested from (``root``), its size, mtime and sha256 at the time. Each file is read
once, up to the last line wanted, with the ingest's line numbering (gzip too), so a
quote is exactly the line that was loaded; it is hashed again only when its size or
mtime changed (the ingest's own test of an unchanged file). A file that moved,
vanished or changed since it was ingested is said so next to the quote: the chain of
custody stays visible.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..ingest.gunzip import GzipDamage, gunzip
from ..ingest.reader import BOM, GZIP_MAGIC, ReadState, open_evidence

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
        "SELECT file, root, sha256, size, mtime_ns FROM files WHERE file IN (SELECT unnest(?))",
        [sorted({*wanted, *records})],
    ).fetchall()
    known = {row[0]: row[1:] for row in rows}
    out: dict[Any, Quote] = {}
    for file, lines in sorted(wanted.items()):
        out.update(_read_file(file, known.get(file, (None,) * 4), lines, max_chars))
    for file, wanted_records in sorted(records.items()):
        root, sha = known.get(file, (None, None))[:2]
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
    file: str, inventory: tuple[Any, ...], lines: set[int], max_chars: int
) -> dict[tuple[str, int], Quote]:
    def problem(text: str) -> dict[tuple[str, int], Quote]:
        return {(file, n): Quote(file, n, None, text) for n in lines}

    root, sha, size, mtime_ns = inventory
    if root is None:
        return problem("the file is not in the case's inventory")
    path = Path(root) / file
    try:
        st = path.stat()
        found = _find_lines(path, lines, max_chars)
        # The ingest's own test of an unchanged file (size and mtime); only a file that
        # fails it is hashed again, to tell a touched file from a changed one.
        changed = (st.st_size, st.st_mtime_ns) != (size, mtime_ns) and sha != _sha256(path)
    except FileNotFoundError:
        return problem(f"the file is no longer at {path}")
    except OSError as exc:
        return problem(f"cannot read {path}: {exc}")
    note = "the file changed since it was ingested (sha256 differs)" if changed else None
    out = {}
    for n in lines:
        text = found.get(n)
        out[(file, n)] = (
            Quote(file, n, None, "no such line in the file")
            if text is None
            else Quote(file, n, text, note)
        )
    return out


def _find_lines(path: Path, lines: set[int], max_chars: int) -> dict[int, str]:
    """The wanted lines of a plain or gzip (multi-member) file, numbered as the ingest
    numbers them (every physical line; a byte order mark is not part of line 1), read
    once up to the last of them: a block with no wanted line is only counted
    (``bytes.count``, memchr speed); in one with some, numpy finds the newlines and
    only the wanted lines are cut out and decoded. A damaged gzip ends the reading."""
    wanted = sorted(lines)
    keep = 4 * max_chars + 4  # UTF-8 bytes enough for max_chars characters (+ "\r\n")
    found: dict[int, str] = {}
    line_no, i = 1, 0  # the line the block starts in; the next wanted line
    part = bytearray()  # the start of a wanted line that runs past a block
    part_len = 0
    for block in _content(path):
        if i == len(wanted):
            break
        nls = block.count(b"\n")  # the block holds lines line_no .. line_no + nls
        if wanted[i] <= line_no + nls:
            nl = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
            while i < len(wanted) and wanted[i] <= line_no + nls:
                k = wanted[i] - line_no
                start = int(nl[k - 1]) + 1 if k else 0
                end = int(nl[k]) if k < nls else len(block)
                part += block[start : min(end, start + max(keep - len(part), 0))]
                part_len += end - start
                if k == nls:
                    break  # the line goes on in the next block
                found[wanted[i]] = _quote_text(bytes(part), part_len, max_chars)
                part.clear()
                part_len = 0
                i += 1
        line_no += nls
    if i < len(wanted) and wanted[i] == line_no and part_len:  # an unterminated last line
        found[line_no] = _quote_text(bytes(part), part_len, max_chars)
    return found


def _quote_text(raw: bytes, length: int, max_chars: int) -> str:
    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    more = length - len(raw)
    if len(text) > max_chars or more > 0:
        cut = text[:max_chars]
        rest = len(text) - len(cut) + max(more, 0)
        return cut + f"… [{rest} more characters]"
    return text


def _content(path: Path) -> Iterator[bytes]:
    """The content in blocks, without a byte order mark at its start."""
    blocks = _blocks(path)
    head = b""
    for block in blocks:
        head += block
        if len(head) >= len(BOM):
            break
    yield head.removeprefix(BOM)
    yield from blocks


def _blocks(path: Path, size: int = 16 * 1024 * 1024) -> Iterator[bytes]:
    """The decompressed content of ``path`` in blocks, read as the ingest reads it (no
    link followed; gzip members one after another, everything before damage)."""
    with open_evidence(path) as fh:
        gz = fh.read(2) == GZIP_MAGIC
        fh.seek(0)
        if not gz:
            while block := fh.read(size):
                yield block
            return
        with contextlib.suppress(GzipDamage):
            yield from gunzip(fh.read, itertools.repeat(max(size // 4, 1)), size)


def _sha256(path: Path) -> str:
    with open_evidence(path) as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
