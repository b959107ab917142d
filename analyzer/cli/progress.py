"""Progress on stderr (stdout stays clean for pipes): files done/total with an ETA
while logs load, then each rule, then each step of writing a report.

Shown only when stderr is a terminal and ``--quiet`` is not given; one line, redrawn
at most every ``interval`` seconds, cleared when the work is done.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from ..ingest.pipeline import walk
from .output import fit


def _clock(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """One status line on stderr; callbacks for ingest, rules and the report writer."""

    def __init__(
        self,
        enabled: bool = True,
        stream: TextIO | None = None,
        interval: float = 0.2,
        force: bool = False,
    ):
        self.stream = stream or sys.stderr
        self.enabled = enabled and (force or self.stream.isatty())
        self.interval = interval
        self._shown = 0.0
        self._width = 0
        self._files: dict[str, int] = {}
        self._total_files = 0
        self._total_bytes = 0
        self._done_bytes = 0
        self._current: str | None = None
        self._started = time.monotonic()

    # -- drawing -------------------------------------------------------------------
    def show(self, text: str, *, now: bool = False) -> None:
        if not self.enabled:
            return
        t = time.monotonic()
        if not now and t - self._shown < self.interval:
            return
        self._shown = t
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 100
        text = fit(text, columns - 1)
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    # -- ingest: progress(file, bytes_done, bytes_total) from the pipeline ----------
    def start_ingest(self, root: Path) -> None:
        """Count the files and bytes below ``root``, for done/total and the ETA."""
        if not self.enabled:
            return
        sizes = {}
        for path, skipped in walk(root.resolve()):
            if skipped:
                continue
            try:
                sizes[path] = path.stat().st_size
            except OSError:
                continue
        self._total_files = len(sizes)
        self._total_bytes = sum(sizes.values())
        self._started = time.monotonic()
        self.show(f"ingest: 0/{self._total_files} files", now=True)

    def __call__(self, file: str, done: int, total: int) -> None:
        if file != self._current:
            if self._current is not None:
                self._done_bytes += self._files[self._current]
            self._current = file
        self._files[file] = total
        finished = len(self._files) - (1 if done < total else 0)
        so_far = self._done_bytes + done
        text = f"ingest: {finished}/{max(self._total_files, len(self._files))} files"
        if self._total_bytes:
            text += f", {so_far / 2**20:,.1f} of {self._total_bytes / 2**20:,.1f} MiB"
            elapsed = time.monotonic() - self._started
            if so_far and elapsed > 1:
                eta = elapsed * (self._total_bytes - so_far) / so_far
                text += f", ETA {_clock(max(eta, 0))}"
        self.show(f"{text}  {file}", now=done >= total)

    # -- rules and report steps: progress(name, done, total) ------------------------
    def step(self, what: str) -> Callable[[str, int, int], None]:
        """A callback ``(name, done, total)`` that shows ``what: done/total name`` and,
        once a step has finished and a second has passed, an ETA from the pace so far
        (rules differ in cost: a guide, like the ingest's by bytes)."""
        started = time.monotonic()

        def callback(name: str, done: int, total: int) -> None:
            text = f"{what}: {done}/{total}"
            elapsed = time.monotonic() - started
            if 0 < done < total and elapsed > 1:
                text += f", ETA {_clock(elapsed * (total - done) / done)}"
            self.show(f"{text} {name}", now=done in (0, total))

        return callback
