"""Two-line DNS formats: a query on one line, its reply on a later one, paired in SQL.

A source stages its chunk in ``_staged`` with, besides ``line``, ``ts`` and ``reason``:
``kind`` (``'query'``, ``'reply'`` or anything else), ``pair_key`` (what a reply shares
with its query: id, client, name, as the format logs them), and for replies
``r_rcode``, ``r_answers``, ``r_types`` (one list per line), ``r_blocked`` (the
resolver's policy blocked the name) and ``r_extra`` (JSON). It inserts its query rows
itself (``failed`` null), then :func:`merge_replies` pairs each reply with the latest
query of the same key before it, in this file, at most ``window_s`` earlier
(an ASOF join), and writes the reply into the query's row: one query, one row. An
unanswered query keeps ``failed`` null. Queries of earlier chunks wait in the temp
table ``_pf_pending`` (one window's worth), so a reply in the next chunk still finds
its query. The replies nothing matched are the source's to load or quarantine.
"""

from __future__ import annotations

from . import dns_text as t
from .base import LoadContext

_PENDING = """CREATE TEMP TABLE IF NOT EXISTS _pf_pending
              (file VARCHAR, line BIGINT, ts TIMESTAMPTZ, pair_key VARCHAR)"""

# The worst rcode of the reply lines (NXDOMAIN at the end of a CNAME chain wins), their
# answers in line order, and the reply lines themselves.
_MATCH = """
WITH r AS (
    SELECT line AS rline, ts AS rts, pair_key, r_rcode, r_answers, r_types, r_blocked, r_extra
    FROM _staged WHERE reason IS NULL AND kind = 'reply'
), p AS (
    SELECT line AS qline, ts AS qts, pair_key FROM _pf_pending WHERE file = $file
), m AS (
    SELECT r.*, p.qline FROM r ASOF JOIN p ON r.pair_key = p.pair_key AND r.rline > p.qline
    WHERE r.rts <= p.qts + to_microseconds(($window * 1e6)::BIGINT)
)
SELECT * FROM m {one}
"""
_MERGE = """
SELECT qline,
    coalesce(arg_min(r_rcode, rline) FILTER (WHERE r_rcode <> 'NOERROR'),
             any_value(r_rcode) FILTER (WHERE r_rcode = 'NOERROR')) AS rcode,
    CASE WHEN count(r_answers) > 0
         THEN flatten(list(coalesce(r_answers, []) ORDER BY rline)) END AS answers,
    CASE WHEN count(r_types) > 0
         THEN flatten(list(coalesce(r_types, []) ORDER BY rline)) END AS types,
    bool_or(coalesce(r_blocked, false)) AS blocked,
    json_merge_patch(coalesce(arg_min(r_extra, rline), '{}'::JSON),
                     json_object('reply_lines', list(rline ORDER BY rline))) AS extra,
    count(r_rcode) > 0 OR bool_or(coalesce(r_blocked, false)) AS answered
FROM _pf_match GROUP BY qline
"""


def merge_replies(ctx: LoadContext, failed_sql: str, *, window_s: float = 60.0,
                  many: bool = False) -> int:  # fmt: skip
    """Pair the chunk's replies with their queries; returns how many reply lines merged.

    ``failed_sql`` decides ``failed`` from ``{rcode}``, ``{qtype}``, ``{types}`` and
    ``{answers}`` (the spec's rule, or the rcode alone). ``many``: every reply line of
    the key until the next query belongs to it (dnsmasq's one line per answer record);
    else a query takes its first reply and the later ones stay unmatched. A blocked
    reply failed, whatever it answered. The rows stay in ``_pf_match`` (``rline``).
    """
    con = ctx.con
    params = {"file": ctx.file}
    con.execute(_PENDING)
    con.execute(
        "INSERT INTO _pf_pending SELECT $file, line, ts, pair_key FROM _staged "
        "WHERE reason IS NULL AND kind = 'query'",
        params,
    )
    one = "" if many else "QUALIFY row_number() OVER (PARTITION BY qline ORDER BY rline) = 1"
    ctx.stage(_MATCH.format(one=one), {**params, "window": window_s}, "_pf_match")
    ctx.stage(_MERGE, name="_pf_merged")
    failed = failed_sql.format(rcode="m.rcode", qtype="q.qtype", types="m.types",
                               answers="m.answers")  # fmt: skip
    con.execute(
        f"""
        UPDATE dns_queries AS q
        SET rcode = m.rcode,
            answers = CASE WHEN m.answered THEN list_transform(m.answers, lambda a: pf_answer(a))
                      END,
            answer_types = CASE WHEN m.answered THEN m.types END,
            failed = CASE WHEN m.blocked THEN true WHEN m.answered THEN {failed} END,
            extra = json_merge_patch(coalesce(q.extra, '{{}}'::JSON), m.extra)
        FROM _pf_merged AS m
        WHERE q.file = $file AND q.line = m.qline
        """,
        params,
    )
    if not many:
        con.execute(
            "DELETE FROM _pf_pending WHERE file = $file AND line IN (SELECT qline FROM _pf_match)",
            params,
        )
    con.execute(
        """DELETE FROM _pf_pending WHERE file = $file
           AND ts < (SELECT max(ts) FROM _staged) - to_microseconds(($window * 1e6)::BIGINT)""",
        {**params, "window": window_s},
    )
    return ctx.count("SELECT count(*) FROM _pf_match")


def unmatched(where: str = "true") -> str:
    """SQL condition: a staged reply line that no query took (plus ``where``)."""
    return (
        f"reason IS NULL AND kind = 'reply' AND ({where}) "
        "AND line NOT IN (SELECT rline FROM _pf_match)"
    )


def note_merged(ctx: LoadContext, merged: int, what: str) -> None:
    """The file's note of how many reply lines (``what``) were merged into their query."""
    t.add_to_note(
        ctx,
        "merged",
        merged,
        f"{{n}} {what} were merged into the row of their query (extra.reply_lines) "
        "and count as loaded",
    )


def load_rows(ctx: LoadContext, columns: str, extra: dict[str, str], what: str) -> tuple[int, int]:
    """The load of a format whose replies name their query and log no answers.

    A row is ``columns`` (SQL over ``_staged``: every column but ``extra``, ``file`` and
    ``line``), its ``extra`` the staged ``r_extra`` with the pairs of ``extra`` (SQL
    values, nulls left out). The queries are inserted, their replies merged (``failed``
    from the rcode alone), then the replies no query took become rows of their own.
    ``what`` names the reply lines in the file's note.
    """
    insert = f"""
        INSERT INTO dns_queries BY NAME
        SELECT {columns},
               json_merge_patch(coalesce(r_extra, '{{}}'::JSON), {t.json_compact(extra)}) AS extra,
               $file AS file, line
        FROM _staged WHERE """
    params = {"file": ctx.file}
    ctx.con.execute(insert + "reason IS NULL AND kind = 'query'", params)
    merged = merge_replies(ctx, t.RCODE_FAILED_SQL)
    ctx.con.execute(insert + unmatched(), params)
    note_merged(ctx, merged, what)
    return t.finish(ctx)
