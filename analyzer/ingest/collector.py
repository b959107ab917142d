"""Text DNS logs inside a collector's JSON: Docker ``json-file``, log shippers.

Docker's json-file driver writes ``{"log": "<line>\\n", "stream": "stdout", "time":
"<RFC 3339>"}``; Fluent Bit, Vector, Filebeat and the like write the line in
``message`` (or ``log``) beside their own fields and a ``time``/``@timestamp``. For
every text DNS format there is a wrapped twin (``files.source`` ``<format>@json``)
that takes the line out of the JSON, lets the format's own loader read it, and keeps
the collector's time as ``collected_at``. A format whose lines carry no time of their
own (CoreDNS) gets the collector's time in front of each line, as ``kubectl logs
--timestamps`` would put it: the only time there is. A line that is not such a JSON
object is read as it is (and most likely quarantined by the format with its reason).
"""

from __future__ import annotations

import json
from dataclasses import replace

from .base import LoadContext, Source

_INNER = "coalesce(j ->> 'log', j ->> 'message')"
_TIME = "coalesce(j ->> 'time', j ->> '@timestamp', j ->> 'timestamp')"


def _inner_line(line: str) -> str | None:
    if not line.startswith("{"):
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    inner = obj.get("log", obj.get("message")) if isinstance(obj, dict) else None
    return inner.rstrip("\r\n") if isinstance(inner, str) else None


def wrapped(source: Source, *, prepend_time: bool = False) -> Source:
    """The twin of a text source that reads its lines out of a collector's JSON."""

    def sniff(line: str) -> bool:
        inner = _inner_line(line)
        return inner is not None and source.sniff(inner)

    def load(ctx: LoadContext) -> tuple[int, int]:
        con = ctx.con
        ctx.stage(
            f"""SELECT line, nullif(rtrim({_INNER}, chr(13) || chr(10)), '') AS inner_text,
                       {_TIME} AS time_text, pf_ts({_TIME}, $tz) AS collected_at, text
                FROM (SELECT line, text,
                             CASE WHEN starts_with(text, '{{') THEN try(text::JSON) END AS j
                      FROM _good)""",
            {"tz": ctx.assume_tz},
            "_collected",
        )
        lead = "time_text || ' ' || " if prepend_time else ""
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW _good AS
                SELECT line, coalesce(CASE WHEN collected_at IS NOT NULL THEN {lead}inner_text
                                           ELSE inner_text END, text) AS text
                FROM _collected"""
        )
        loaded, quarantined = source.load(ctx)
        con.execute(
            """UPDATE dns_queries AS q SET collected_at = c.collected_at FROM _collected AS c
               WHERE q.file = $file AND q.line = c.line AND q.collected_at IS NULL
                 AND c.collected_at IS NOT NULL""",
            {"file": ctx.file},
        )
        return loaded, quarantined

    doc = f"{source.doc}, inside a collector's JSON (Docker json-file, shippers)"
    return replace(source, name=f"{source.name}@json", sniff=sniff, load=load, doc=doc,
                   single_scan=False)  # fmt: skip
