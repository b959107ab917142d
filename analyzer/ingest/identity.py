"""A file is its content, not its path: recognising rotated, replaced and copied files.

Every loaded file is known by the sha256 of its first ``PREFIX_BYTES`` of content
(``prefix_sha256``), with its device and inode as a hint. Before a run loads anything,
the known files whose path no longer holds their content are looked for among the
paths of the tree:

- found under another name (``mv x x.1``, ``x.1`` compressed to ``x.1.gz``, a
  copytruncate's copy): the file was renamed; its rows follow it to the new name, so
  every ``file:line`` keeps pointing at the line on disk, and it is not loaded again;
- not found, while a new file took its path (truncated and rewritten): the path
  starts anew; the earlier lines are kept under ``<path> (replaced #N)``.

A new path whose content is all of a known file's loaded content is a copy, listed as
skipped. All renames of a run happen in one statement per table, in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .. import schema
from .reader import HEAD_BYTES
from .sniff import content_blocks

PREFIX_BYTES = HEAD_BYTES
# Content too short to tell one file from another (a blank line, one short line) is no
# identity: such a file is known by its path alone.
MIN_IDENTITY_BYTES = 64


def prefix_identity(head: bytes, content_bytes: int) -> tuple[str, int]:
    """The identity of a file whose content starts with ``head``: sha256 and length."""
    prefix = head[: min(PREFIX_BYTES, content_bytes)]
    return hashlib.sha256(prefix).hexdigest(), len(prefix)


def read_head(path: Path, n: int = PREFIX_BYTES) -> bytes:
    head = bytearray()
    for block in content_blocks(path, budget=n):
        head += block
        if len(head) >= n:
            break
    return bytes(head[:n])


@dataclass
class _Known:
    file: str
    prefix_sha256: str
    prefix_bytes: int
    size: int
    mtime_ns: int
    device: int | None
    inode: int | None
    content_bytes: int
    content_sha256: str


class Reconciler:
    """Matches the known files of ``root`` with the paths of this run (see the module)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, root: Path, present: dict[str, Path]):
        self.con = con
        self.root = root
        self.present = present
        self._heads: dict[str, bytes] = {}
        self.copies: dict[str, str] = {}  # new path -> the known file it copies

    def _head(self, rel: str) -> bytes:
        if rel not in self._heads:
            try:
                self._heads[rel] = read_head(self.present[rel])
            except OSError:  # unreadable: the load reports it
                self._heads[rel] = b""
        return self._heads[rel]

    def _holds(self, rel: str, known: _Known) -> bool:
        head = self._head(rel)
        return (
            len(head) >= known.prefix_bytes
            and hashlib.sha256(head[: known.prefix_bytes]).hexdigest() == known.prefix_sha256
        )

    def _known(self) -> dict[str, _Known]:
        rows = self.con.execute(
            """SELECT file, prefix_sha256, prefix_bytes, size, mtime_ns, device, inode,
                      content_bytes, content_sha256
               FROM files WHERE root = ? AND status <> 'skipped' AND prefix_bytes >= ?
               ORDER BY file""",
            [str(self.root), MIN_IDENTITY_BYTES],
        ).fetchall()
        return {r[0]: _Known(*r) for r in rows}

    def _in_place(self, known: _Known) -> bool:
        """Whether the file at the known path is still the known file."""
        path = self.present.get(known.file)
        if path is None:
            return False
        st = path.stat()
        if (st.st_size, st.st_mtime_ns) == (known.size, known.mtime_ns) and (
            known.inode is None or (st.st_dev, st.st_ino) == (known.device, known.inode)
        ):
            return True
        return self._holds(known.file, known)

    def run(self) -> dict[str, str]:
        """Rename what moved; returns the renames (old name -> new name)."""
        known = self._known()
        if not known:
            return {}
        displaced = [k for k in known.values() if not self._in_place(k)]
        moved = {k.file for k in displaced}
        unclaimed = [rel for rel in self.present if rel not in known or rel in moved]
        renames: dict[str, str] = {}
        for k in displaced:
            found = [rel for rel in unclaimed if self._holds(rel, k)]
            if found:
                same = [rel for rel in found if _inode(self.present[rel]) == (k.device, k.inode)]
                renames[k.file] = (same or found)[0]
                unclaimed.remove(renames[k.file])
        for k in displaced:  # replaced by a new file: the earlier lines keep another name
            if k.file not in renames and k.file in self.present:
                renames[k.file] = self._replaced_name(k.file)
        self._find_copies(known, moved, unclaimed, renames)
        if renames:
            self._apply(renames)
        return renames

    def _find_copies(
        self,
        known: dict[str, _Known],
        moved: set[str],
        unclaimed: list[str],
        renames: dict[str, str],
    ) -> None:
        index = {
            (k.prefix_bytes, k.prefix_sha256): k
            for k in known.values()
            if k.file not in moved or k.file in renames
        }
        for rel in unclaimed:
            if rel in known:
                continue
            head = self._head(rel)
            for n in {PREFIX_BYTES, len(head)}:
                k = index.get((n, hashlib.sha256(head[:n]).hexdigest()))
                if k and _sha256_of_prefix(self.present[rel], k.content_bytes) == k.content_sha256:
                    self.copies[rel] = renames.get(k.file, k.file)
                    break

    def _replaced_name(self, file: str) -> str:
        taken = {
            r[0]
            for r in self.con.execute(
                "SELECT file FROM files WHERE starts_with(file, ?)", [f"{file} (replaced #"]
            ).fetchall()
        }
        n = 1
        while f"{file} (replaced #{n})" in taken:
            n += 1
        return f"{file} (replaced #{n})"

    def _apply(self, renames: dict[str, str]) -> None:
        con = self.con
        con.execute("CREATE OR REPLACE TEMP TABLE _renames (old VARCHAR, new VARCHAR)")
        con.executemany("INSERT INTO _renames VALUES (?, ?)", list(renames.items()))
        for table in schema.TABLES:
            if "file" in table.column_names:
                con.execute(
                    f"UPDATE {table.name} SET file = r.new FROM _renames r "
                    f"WHERE {table.name}.file = r.old"
                )
        for old, new in renames.items():
            if new.startswith(f"{old} (replaced #"):
                note = (
                    f"no longer on disk: {old} was replaced by a new file; its earlier "
                    "lines are kept under this name"
                )
            else:
                note = f"renamed from {old} (rotation): its lines are not loaded again"
            con.execute(
                "UPDATE files SET message = ? || coalesce('; ' || message, '') WHERE file = ?",
                [note, new],
            )
        con.execute("DROP TABLE _renames")


def _inode(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_dev, st.st_ino


def _sha256_of_prefix(path: Path, n: int) -> str:
    h = hashlib.sha256()
    left = n
    for block in content_blocks(path, budget=n):
        h.update(block[:left])
        left -= min(left, len(block))
        if not left:
            break
    return h.hexdigest() if not left else ""
