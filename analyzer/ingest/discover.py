"""Walking the evidence directory: every entry is either a file to load or a reason.

Links are never followed: a link to a file or directory inside the tree is listed with
the name its target loads under (so each target loads once), a link out of the tree is
never read (a link to ``/etc/shadow`` must not put its first line into a report), and
dangling links, loops, FIFOs, devices, sockets, unreadable directories and second hard
links to a file are listed as skipped with the reason rather than ignored.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

Entry = tuple[Path, str | None]
"""A path below the root and why it is not loaded (``None``: a regular file to load)."""

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe), not a log file"),
    (stat.S_ISSOCK, "a socket, not a log file"),
    (stat.S_ISCHR, "a character device, not a log file"),
    (stat.S_ISBLK, "a block device, not a log file"),
)


def walk(root: Path) -> Iterator[Entry]:
    """Every entry below ``root`` (resolved), in a stable order (sorted by name)."""
    seen: dict[tuple[int, int], Path] = {}
    yield from _visit(root, root, seen)


def _visit(root: Path, directory: Path, seen: dict[tuple[int, int], Path]) -> Iterator[Entry]:
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield directory, f"cannot read directory: {exc.strerror or exc}"
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            yield path, f"cannot read: {exc.strerror or exc}"
            continue
        if stat.S_ISLNK(st.st_mode):
            yield path, _link_reason(root, path)
        elif stat.S_ISDIR(st.st_mode):
            yield from _visit(root, path, seen)
        elif stat.S_ISREG(st.st_mode):
            first = seen.setdefault((st.st_dev, st.st_ino), path)
            if first is path:
                yield path, None
            else:
                rel = first.relative_to(root).as_posix()
                yield path, f"a hard link to {rel} (the same file), which loads under that name"
        else:
            kind = next((why for test, why in _KINDS if test(st.st_mode)), "not a regular file")
            yield path, kind


def _link_reason(root: Path, path: Path) -> str:
    """Why a link is not followed: where it points, and whether that loads anyway."""
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return f"a dangling link (to {os.readlink(path)}), not followed"
    except (RuntimeError, OSError) as exc:  # a loop: RuntimeError up to 3.12, then OSError
        return f"a link loop, not followed ({exc})"
    if not target.is_relative_to(root):
        return f"a link to outside the evidence directory ({target}), not followed"
    rel = target.relative_to(root).as_posix() or "."
    what = "directory" if target.is_dir() else "file"
    return f"a link to the {what} {rel} inside the tree, which loads under its own name"


def relative_name(root: Path, path: Path, problem: str | None) -> str:
    """The name an entry is listed under: relative to the root; a directory ends in /."""
    rel = path.relative_to(root).as_posix()
    if problem and problem.startswith("cannot read directory"):
        return rel + "/"
    return rel
