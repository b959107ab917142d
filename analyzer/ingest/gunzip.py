"""Gzip read like ``zcat``: everything before the damage, in bounded blocks.

A flipped byte in a CRC trailer or mid-stream must not cost the lines before it, and
a small file that decompresses to gigabytes (a gzip bomb) must not take that memory.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

# Decompressed bytes per block at most: a gzip bomb is read in bounded blocks.
GZIP_OUT_BLOCK = 4 * 1024 * 1024
# Compressed bytes retried at once when salvaging the output before a damaged byte.
_SALVAGE_STEP = 4096


class GzipDamage(EOFError):  # an EOFError, as zlib's readers raise for a cut stream
    """A gzip stream cut short or corrupt at ``offset`` (bytes of the compressed file)."""

    def __init__(self, offset: int, why: str):
        super().__init__(f"gzip stream damaged at byte {offset:,} of the compressed file ({why})")
        self.offset = offset


def gunzip(
    read: Callable[[int], bytes], sizes: Iterable[int], out_block: int = GZIP_OUT_BLOCK
) -> Iterator[bytes]:
    """Decompress gzip (several members allowed), ``out_block`` bytes at most at a time.

    Unlike ``gzip.GzipFile`` (and like ``zcat``) everything decoded before the damage
    is yielded, down to the byte: a call that fails is replayed in small steps from a
    copy of the decompressor taken before it. Then ``GzipDamage`` says where.
    """
    dec = zlib.decompressobj(wbits=31)
    offset = 0  # compressed bytes consumed
    in_member = False
    for size in sizes:
        data = read(size)
        if not data:
            break
        more = True
        while data or more:
            saved = dec.copy()
            try:
                out = dec.decompress(data, out_block)
            except zlib.error as exc:
                good, at = _salvage(saved, data)
                if good:
                    yield good
                raise GzipDamage(offset + at, str(exc)) from exc
            in_member = not dec.eof
            rest = dec.unused_data if dec.eof else dec.unconsumed_tail
            offset += len(data) - len(rest)
            if out:
                yield out
            more = len(out) == out_block and not dec.eof  # output may be pending
            data = rest
            if dec.eof:
                dec = zlib.decompressobj(wbits=31)
                if not data.strip(b"\0"):  # padding after the last member
                    offset += len(data)
                    data = b""
    if in_member:
        raise GzipDamage(offset, "the file ends before the end of the stream")


def _salvage(dec: Any, data: bytes) -> tuple[bytes, int]:
    """The output of ``data`` up to its first damaged byte, and that byte's index."""
    out: list[bytes] = []
    at, step = 0, _SALVAGE_STEP
    while at < len(data):
        trial = dec.copy()
        fed = data[at : at + step]
        try:
            piece = trial.decompress(fed)
        except zlib.error:
            if step == 1:
                break
            step = 1
            continue
        out.append(piece)
        dec = trial
        if trial.eof:  # the damage is in what follows this member
            at += len(fed) - len(trial.unused_data)
            break
        at += len(fed)
    return b"".join(out), min(at, len(data))
