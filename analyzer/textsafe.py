"""Log text made safe to show: control characters become visible escapes.

Log lines are attacker-controlled: an ANSI or OSC escape in a host name can recolour
a terminal, set its window title or hide text, and raw control bytes in Markdown or
HTML reach whoever opens them. Every human output (terminal tables and messages,
Markdown, HTML) shows C0 and C1 control characters and DEL as ``\\xNN`` (``\\n`` and
``\\t`` as such); machine output (JSON, CSV) keeps the text as it is, JSON-escaped.
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    return _NAMED.get(ch) or f"\\x{ord(ch):02x}"


def visible(text: Any, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character shown as an escape (``None``: empty)."""
    if text is None:
        return ""
    s = str(text)
    if not _CONTROL.search(s):
        return s
    if keep_newlines:
        return "\n".join(_CONTROL.sub(_escape, part) for part in s.split("\n"))
    return _CONTROL.sub(_escape, s)
