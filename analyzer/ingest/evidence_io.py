"""Reading an evidence file: never through a link, every byte hashed (chain of custody).

``ReadState`` is what reading a file established (hashes, sizes, lines, identity),
filled in as its chunks are consumed.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
BOM = b"\xef\xbb\xbf"
# The buffer an appended plain file's known prefix is read and hashed through.
PREFIX_BLOCK = 16 * 1024 * 1024
# The first content bytes kept in ``ReadState.head`` (the file's identity).
HEAD_BYTES = 4096
# Bytes hashed at a time when the rest of a file is drained.
_DRAIN_BLOCK = 64 * 1024 * 1024


class NotRegularFile(OSError):
    """The path is no longer a regular file (a link, FIFO or device put in its place)."""


def open_evidence(path: Path) -> io.BufferedReader:
    """Open a regular file for reading, never through a link and never blocking on a
    FIFO: what was checked when the tree was walked is what gets read."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(0, "not a regular file", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_gzip(path: Path) -> bool:
    with open_evidence(path) as fh:
        return fh.read(2) == GZIP_MAGIC


@dataclass
class ReadState:
    """What reading a file established, filled in as the chunks are consumed."""

    sha256: str = ""
    size: int = 0  # raw bytes read so far (progress), the file size once done
    content_sha256: str = ""
    content_bytes: int = 0
    lines: int = 0
    ends_with_newline: bool = True
    deferred_bytes: int = 0  # an unterminated last line, left for when it is complete
    head: bytes = b""  # the first bytes of the content (the file's identity)
    compressed: bool = False
    prefix_matches: bool = True
    error: str | None = None
    error_tail: bytes = b""
    _content_hash: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)


class _HashingReader:
    """Wraps the raw file so that every byte read is hashed (chain of custody)."""

    def __init__(self, fh: BinaryIO, state: ReadState, max_line: int | None = None):
        self._fh = fh
        self._state = state
        self.max_line = max_line
        self.sha256 = hashlib.sha256()
        # the hash up to the last line end, when what was read ends mid-line (None: it
        # ends at a line end, and the hash is ``sha256``)
        self.lines_sha256: hashlib._Hash | None = None

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self.sha256.update(data)
        self._state.size += len(data)
        return data

    def read_lines(self, size: int) -> bytearray:
        """About ``size`` bytes that end at a line end (all of a longer line; less at the
        end of the file). The unfinished line is left in the file for the next call, so
        blocks need no gluing (no copy of the block) and each byte is hashed once.
        """
        buf = bytearray(size)
        n = self._fill(buf, 0)
        while n == len(buf) and buf.rfind(b"\n") < 0:  # a line longer than the block
            if self.max_line is not None and n > self.max_line:
                break  # too long to load: handed on in pieces, never whole
            buf.extend(bytes(len(buf)))
            n = self._fill(buf, n)
        last_nl = buf.rfind(b"\n", 0, n)
        cut = n if n < len(buf) or last_nl < 0 else last_nl + 1
        if cut < n:
            self._fh.seek(cut - n, io.SEEK_CUR)
        del buf[cut:]
        end = buf.rfind(b"\n") + 1
        if not buf:
            return buf
        if end == len(buf):  # at a line end
            self.sha256.update(buf)
            self.lines_sha256 = None
        elif end == 0:  # a piece of a long line: the last line end was before it
            if self.lines_sha256 is None:
                self.lines_sha256 = self.sha256.copy()
            self.sha256.update(buf)
        else:  # the end of the file, in the middle of a line
            with memoryview(buf) as view:
                self.sha256.update(view[:end])
                self.lines_sha256 = self.sha256.copy()
                self.sha256.update(view[end:])
        self._state.size += cut
        return buf

    def _fill(self, buf: bytearray, start: int) -> int:
        with memoryview(buf) as view:
            while start < len(buf):
                got = self._fh.readinto(view[start:])  # type: ignore[attr-defined]
                if not got:
                    break
                start += got
        return start

    def skip_prefix(self, n: int, sha256: str | None) -> bool:
        """Read and hash the first ``n`` bytes (an appended file's known prefix) into a
        reused buffer: the file's hash after them is the prefix's, so each byte is
        hashed once and never split or copied. Whether it equals ``sha256``."""
        buf = bytearray(min(n, PREFIX_BLOCK))
        left = n
        with memoryview(buf) as view:
            while left:
                got = self._fh.readinto(view[: min(left, len(buf))])  # type: ignore[attr-defined]
                if not got:
                    return False  # shorter than before: not an append
                if len(self._state.head) < HEAD_BYTES:
                    self._state.head += bytes(view[: HEAD_BYTES - len(self._state.head)])
                self.sha256.update(view[:got])
                self._state.size += got
                self._state.content_bytes += got
                left -= got
        return self.sha256.hexdigest() == sha256

    def readable(self) -> bool:
        return True

    def drain(self) -> None:
        """Hash the rest of the file (after an early stop or a gzip error)."""
        while self.read(_DRAIN_BLOCK):
            pass
