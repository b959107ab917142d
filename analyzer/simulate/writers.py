"""Lines exactly as log-formats.md writes them, and the files that hold them.

Control-plane logs are small (one line per model event), so they are formatted one
record at a time; the DNS logs are built as columns in ``dns.py``. Broken lines are
*inserted* (a torn write before the full record), never replacing a record, so the
query counts and the events the labels rest on are the same with or without them.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, cast

from .config import Config, Rand
from .dialects import Dialect
from .model import OPERATOR, System
from .state import Record

PLANNER_FILE = "planner/planner.jsonl"
OPERATOR_FILE = "operator/actions.jsonl"
OWNED_DIRS = ("planner", "enactor", "operator", "dns", "cloudtrail")
GROUND_TRUTH = "ground-truth.json"


@functools.lru_cache(maxsize=4096)
def _second(sec: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))


def iso_ms(t: float) -> str:
    """RFC 3339 UTC with milliseconds (truncated, never rounded up across a second)."""
    sec, rem = divmod(round(t * 1_000_000) // 1000, 1000)
    return f"{_second(sec)}.{rem:03d}Z"


def iso_s(sec: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sec))


def enactor_file(host: str) -> str:
    return f"enactor/{host}.log"


def file_for(cfg: Config, key: str) -> str:
    if key == cfg.planner_host:
        return PLANNER_FILE
    if key == OPERATOR:
        return OPERATOR_FILE
    return enactor_file(key)


_NEEDS_QUOTES = re.compile(r'[\s="\\]|^$')


def _logfmt_value(v: Any) -> str:
    s = str(v)
    if isinstance(v, str) and _NEEDS_QUOTES.search(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def format_record(cfg: Config, rec: Record, fmt: str) -> str:
    ts = iso_ms(cfg.clock(rec.host, rec.t))
    if fmt == "json":
        return json.dumps({"ts": ts, **rec.fields}, separators=(",", ":"))
    return " ".join([f"ts={ts}", *(f"{k}={_logfmt_value(v)}" for k, v in rec.fields.items())])


def torn(line: str, r: Rand, fmt: str) -> str:
    """A prefix of ``line`` that no parser can accept: JSON cut mid-object, logfmt cut
    inside a quoted value (or, when it has none, inside its timestamp)."""
    if fmt == "json":
        return line[: r.int(len(line) // 3, 2 * len(line) // 3)]
    quote = line.find('"')
    close = line.find('"', quote + 1) if quote >= 0 else -1
    if close > quote + 1:
        return line[: r.int(quote + 2, max(quote + 2, close - 1))]
    return line[: r.int(8, 18)]


def insert_positions(n: int, k: int, r: Rand, prefer: Iterable[int] = ()) -> list[int]:
    """``k`` distinct record indexes (never in the first tenth, so sniffing still works)."""
    if n < 10 or k <= 0:
        return []
    lo = max(1, n // 10)
    pool = [i for i in prefer if i >= lo] or list(range(lo, n))
    picked: set[int] = set()
    while len(picked) < min(k, len(pool)):
        picked.add(r.choice(pool))
    return sorted(picked)


def open_out(path: Path, compress: bool, level: int = 6) -> IO[bytes]:
    """A binary file; gzip with mtime 0 and no file name, so the bytes are deterministic."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.open("wb")
    if not compress:
        return raw
    return cast(IO[bytes], _GzipClosingRaw(raw, level))


class _GzipClosingRaw(gzip.GzipFile):
    def __init__(self, raw: IO[bytes], level: int) -> None:
        super().__init__(filename="", mode="wb", fileobj=raw, compresslevel=level, mtime=0)
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def clean_out(out: Path) -> None:
    """Remove what an earlier run wrote (only the simulator's own directories and file)."""
    for d in OWNED_DIRS:
        sub = out / d
        if sub.is_dir():
            for f in sorted(sub.rglob("*"), reverse=True):
                if f.is_file() and f.name.endswith((".jsonl", ".log", ".gz")):
                    f.unlink()
            for f in sorted(sub.rglob("*"), reverse=True):
                if f.is_dir() and not any(f.iterdir()):
                    f.rmdir()
            if not any(sub.iterdir()):
                sub.rmdir()
    (out / GROUND_TRUTH).unlink(missing_ok=True)
    (out / "clocks.json").unlink(missing_ok=True)


def write_control(
    cfg: Config, system: System, out: Path, dialect: Dialect | None = None
) -> dict[str, int]:
    """Write planner, enactor and operator logs; set every record's file and line.

    With a ``dialect`` (``dialects.py``) each line is written in it instead, at the same
    line number and under its file name; the torn lines stay where they were.
    """
    r = Rand(cfg.seed, "malformed-control")
    n_bad = {PLANNER_FILE: cfg.malformed.planner, OPERATOR_FILE: cfg.malformed.operator}
    enactor_files = sorted(file_for(cfg, k) for k in system.records if k in cfg.enactors)
    for _ in range(cfg.malformed.enactor if enactor_files else 0):
        f = r.choice(enactor_files)
        n_bad[f] = n_bad.get(f, 0) + 1
    counts: dict[str, int] = {}
    for key in sorted(system.records):
        recs = system.records[key]
        rel = file_for(cfg, key)
        fmt = "logfmt" if rel.startswith("enactor/") else "json"
        lines = [format_record(cfg, rec, fmt) for rec in recs]
        prefer = [i for i, s in enumerate(lines) if '"' in s] if fmt == "logfmt" else []
        bad = insert_positions(len(lines), n_bad.get(rel, 0), r, prefer)
        out_lines: list[str] = []
        b = 0
        written = lines if dialect is None else [dialect.line(cfg, rec, rel) for rec in recs]
        rel = rel if dialect is None else dialect.file(rel)
        for i, (rec, line, text) in enumerate(zip(recs, lines, written, strict=True)):
            if b < len(bad) and bad[b] == i:
                broken = torn(line, r, fmt)  # drawn in every dialect: the same positions
                out_lines.append(broken if dialect is None else dialect.torn(text))
                b += 1
            out_lines.append(text)
            rec.file, rec.line = rel, len(out_lines)
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(s + "\n" for s in out_lines), encoding="utf-8")
        counts[rel] = len(out_lines)
    return counts
