"""The SQL macros every source uses: their fast paths must agree with the plain rules."""

from __future__ import annotations

import random

import duckdb
import pytest

from analyzer.ingest.base import _ZONE_RE, MACROS

# characters that trim, lower and the dot rules treat specially (Unicode spaces included)
ALPHABET = ["a", "Z", ".", " ", "\t", "\u00a0", "\u3000", "é", "İ", "ß", "-", "0", "~", "!",
            "\u200d", "e\u0301"]  # fmt: skip


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    for macro in MACROS:
        c.execute(macro)
    yield c
    c.close()


def test_pf_name_is_rtrim_lower_trim(con):
    rnd = random.Random(7)
    names = ["".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 6))) for _ in range(3000)]
    names += ["Dynamodb.US-East-1.amazonaws.com.", "cell-078.ddb.us-east-1.amazonaws.com", ".."]
    got = con.execute(
        "SELECT n, pf_name(n), rtrim(lower(trim(n)), '.') FROM unnest($names) t(n)",
        {"names": names},
    ).fetchall()
    assert [(n, fast) for n, fast, _ in got] == [(n, plain) for n, _, plain in got]


def test_pf_has_zone_is_the_regular_expression(con):
    stamps = ["2025-10-20T06:00:00Z", "2025-10-20T06:00:00z", "2025-10-20T06:00:00+02:00",
              "2025-10-20T06:00:00-0500", "2025-10-20T06:00:00", "2025-10-20 06:00:00.123",
              "Z", "", "2025-10-20T06:00:00+02"]  # fmt: skip
    got = con.execute(
        "SELECT pf_has_zone(s), regexp_matches(s, $re) FROM unnest($s) t(s)",
        {"s": stamps, "re": _ZONE_RE},
    ).fetchall()
    assert [fast for fast, _ in got] == [plain for _, plain in got]
