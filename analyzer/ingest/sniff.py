"""Sampling a file's first lines to recognise its source, whatever its first bytes hold.

Damage is line-level, so one bad byte must not make a log "binary": a file is binary
only when a large share of its first block is not text. A UTF-8 byte order mark is
ignored; a line too long to be a sample is read past (never kept whole); a preamble
or a run of blank lines is read past too, up to a budget, until a line some source
recognises starts the sample.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from .gunzip import GzipDamage, gunzip
from .reader import BOM, GZIP_MAGIC, open_evidence

BLOCK = 64 * 1024
# Decompressed bytes read at most to find the first recognised line.
BUDGET = 8 * 1024 * 1024
# A line longer than this is not a sample (it is read past, not kept).
MAX_SAMPLE_LINE = 64 * 1024
SAMPLE_LINES = 10
# Above this share of non-text bytes in the first block, a file is binary.
BINARY_SHARE = 0.30
# Control bytes that text does not hold (tab, line ends, form feed and ESC excepted).
_CONTROL = bytes([*range(0, 9), *range(14, 27), *range(28, 32), 127])


def non_text_share(block: bytes) -> float:
    """The share of ``block`` that is control bytes or invalid UTF-8."""
    if not block:
        return 0.0
    control = len(block) - len(block.translate(None, _CONTROL))
    invalid = block.decode("utf-8", "replace").count("\ufffd") - block.count("\ufffd".encode())
    return (control + invalid) / len(block)


def content_blocks(path: Path, budget: int = BUDGET) -> Iterator[bytes]:
    """The decompressed content, block by block, up to about ``budget`` bytes.

    A gzip stream that is cut or corrupt yields what decompressed before the damage
    (the load reports it; a sample needs only the lines).
    """
    with open_evidence(path) as fh:
        gz = fh.read(2) == GZIP_MAGIC
        fh.seek(0)
        blocks = gunzip(fh.read, iter(lambda: BLOCK, 0), BLOCK) if gz else _plain(fh)
        done = 0
        try:
            for block in blocks:
                yield block
                done += len(block)
                if done >= budget:
                    return
        except GzipDamage:
            return


def _plain(fh: BinaryIO) -> Iterator[bytes]:
    yield from iter(lambda: fh.read(BLOCK), b"")


def sample_lines(path: Path, recognised: Callable[[str], bool]) -> tuple[list[str], str | None]:
    """Up to ``SAMPLE_LINES`` non-empty lines from the first one ``recognised`` accepts
    (or the first ones, when none is), or why there are none (empty, binary). A line
    longer than ``MAX_SAMPLE_LINE`` is sampled by its head (a one-line JSON document)."""
    lines: list[str] = []
    start: int | None = None
    pending = bytearray()
    cut: bytes | None = None  # the head of an over-long line being read past
    first = True

    def take(raw: bytes | bytearray) -> None:
        nonlocal start
        text = raw.decode("utf-8", "replace").strip()
        if text:
            lines.append(text)
            if start is None and recognised(text):
                start = len(lines) - 1

    for block in content_blocks(path):
        if first:
            first = False
            block = block.removeprefix(BOM)
            share = non_text_share(block)
            if share > BINARY_SHARE:
                return [], (
                    f"binary file ({share:.0%} non-text bytes in the first "
                    f"{len(block) // 1024 or 1} KiB), not a log"
                )
        at = 0
        while True:
            nl = block.find(b"\n", at)
            if cut is None:
                pending += block[at : nl if nl >= 0 else len(block)]
                if len(pending) > MAX_SAMPLE_LINE:
                    cut = bytes(pending[:MAX_SAMPLE_LINE])
                    pending.clear()
            if nl < 0:
                break
            take(cut if cut is not None else pending)
            pending.clear()
            cut = None
            at = nl + 1
        if start is not None and len(lines) >= start + SAMPLE_LINES:
            break
    if first:
        return [], "empty file"
    if pending or cut:  # the last line, without a line end
        take(cut if cut is not None else pending)
    begin = start or 0
    return lines[begin : begin + SAMPLE_LINES], None
