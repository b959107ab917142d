"""Property-based damage: random corruption of every format keeps the ingest's promises.

For each source a clean file is built from lines of its test data that load, then
random lines are damaged (byte flips, truncation, NUL, BOM, CR, invalid UTF-8, huge
lines, a missing final line end, gzip cut short or flipped). Whatever the damage:

- per file, lines = loaded + quarantined, and the quarantine holds that many rows;
- every undamaged line loads, into exactly the rows the clean file gives it;
- ingesting again changes nothing.

CI runs a bounded number of examples; ``make fuzz`` runs many more
(``PF_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import gzip
import os
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import open_case
from analyzer.ingest import SOURCES, pipeline
from tests.conftest import DATA

EXAMPLES = int(os.environ.get("PF_FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES <= 50,  # CI: the same examples every run
)
INGEST = DATA / "ingest"
CORPUS = {
    "planner": INGEST / "control/planner/planner-1.jsonl",
    "operator": INGEST / "control/operator/actions.jsonl",
    "enactor": INGEST / "control/enactor/dns-enactor-use1-az4.log",
    "route53_resolver": INGEST / "control/dns/resolver-vpc-1.jsonl",
    "route53_public": INGEST / "route53_public/query-log.txt",
    "zeek": INGEST / "zeek/dns.log",
    "zeek-json": INGEST / "zeek/dns-json.log",
    "bind": INGEST / "bind/named.log",
    "coredns": INGEST / "mixed_dns/coredns/coredns-6d4b75cb6d-x7k2p.log",
    # the good lines of the strict-values fixtures (a flipped digit makes a time or a
    # port impossible: quarantined, never a crash)
    "dnsmasq": INGEST / "strict_values/dnsmasq.log",
    "unbound": INGEST / "strict_values/unbound.log",
    "windows_dns": INGEST / "strict_values/windows-dns.log",
    "powerdns": INGEST / "strict_values/powerdns.log",
    "suricata": INGEST / "strict_values/eve.json",
    "gcp_dns": INGEST / "strict_values/gcp-dns.json",
}
# Sources whose lines load independently (BIND merges a failure line into its query's
# row, the two-line formats a reply into its query's: damage to one changes the other,
# so only the counts are checked there).
LINE_BY_LINE = set(CORPUS) - {"bind", "dnsmasq", "unbound", "windows_dns", "powerdns", "suricata"}
TABLES = {s.name: s.tables for s in SOURCES}
MTIME_NS = 1_760_942_910 * 10**9  # both files alike: year-less times read alike


@cache
def corpus(name: str) -> tuple[list[bytes], list[bytes]]:
    """The header lines (kept in front, never damaged) and the lines that load."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "f.log").write_bytes(CORPUS[name].read_bytes())
        case = open_case()
        case.ingest(d)
        bad = set(case.sql("SELECT line FROM quarantine")["line"].to_list())
    lines = CORPUS[name].read_bytes().split(b"\n")[:-1]
    header = [ln for ln in lines if ln.startswith(b"#")] if name == "zeek" else []
    body = [ln for i, ln in enumerate(lines, 1) if i not in bad and ln not in header]
    assert body, name
    return header, body


OPS = ("flip", "truncate", "nul", "cr", "invalid_utf8", "huge", "garbage", "bom")


@st.composite
def damaged_files(draw: st.DrawFn, name: str) -> tuple[bytes, bytes, set[int], str]:
    header, body = corpus(name)
    picks = draw(st.lists(st.integers(0, len(body) - 1), min_size=1, max_size=40))
    lines = [*header, *(body[i] for i in picks)]
    clean = b"".join(ln + b"\n" for ln in lines)
    damaged = list(lines)
    hurt: set[int] = set()  # 1-based line numbers
    first = len(header)
    ops = draw(st.lists(st.sampled_from(OPS), max_size=6))
    for op in ops:
        i = draw(st.integers(first, len(lines) - 1))
        ln = bytearray(damaged[i])
        at = draw(st.integers(0, max(0, len(ln) - 1)))
        if op == "flip" and ln:
            ln[at] = draw(st.integers(0, 255).filter(lambda b: b != 10))
        elif op == "truncate":
            del ln[at:]
        elif op == "nul":
            ln[at:at] = b"\0"
        elif op == "cr":
            ln[at:at] = b"\r"
        elif op == "invalid_utf8":
            ln[at:at] = b"\xff\xfe"
        elif op == "huge":
            ln += b"A" * (1024 * 1024 + 1)
        elif op == "garbage":
            ln = bytearray(draw(st.binary(max_size=60)).replace(b"\n", b" "))
        damaged[i] = bytes(ln)
        hurt.add(i + 1)
    data = b"".join(ln + b"\n" for ln in damaged)
    if "bom" in ops and not header:
        data = b"\xef\xbb\xbf" + data
    if draw(st.booleans()):  # the writer is mid-line: the last line waits
        data = data[:-1]
        hurt.add(len(lines))
    mode = draw(st.sampled_from(["plain", "plain", "gzip", "gzip-cut", "gzip-flip"]))
    return clean, data, hurt, mode


def gz(data: bytes, mode: str, cut: float) -> bytes:
    blob = bytearray(gzip.compress(data))
    if mode == "gzip-cut":
        blob = blob[: max(11, int(len(blob) * cut))]
    elif mode == "gzip-flip":
        blob[min(len(blob) - 1, 10 + int((len(blob) - 10) * cut))] ^= 0x5A
    return bytes(blob)


def rows_by_line(case, source: str, file: str) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = {}
    for table in TABLES[source]:
        df = case.sql(f"SELECT * EXCLUDE (file) FROM {table} WHERE file = ? ORDER BY ALL", [file])
        for row in df.iter_rows(named=True):
            line = row.pop("line")
            out.setdefault(line, []).append((table, tuple(sorted(row.items(), key=str))))
    return out


def snapshot(case) -> list:
    return [
        case.sql(f"SELECT * FROM {t} ORDER BY ALL").rows()
        for t in ("planner_events", "plans", "enactor_events", "operator_actions", "dns_queries")
    ] + [case.sql("SELECT * EXCLUDE (ingested_at) FROM files ORDER BY ALL").rows()]


def load(case, tmp: Path, data: bytes, file: str):
    """Ingest ``data`` as ``file`` in a directory of its own (one case for many examples)."""
    d = tmp / file.replace(".", "_")
    d.mkdir(parents=True)
    path = d / file
    path.write_bytes(data)
    os.utime(path, ns=(MTIME_NS, MTIME_NS))
    return case.ingest(d), d


@pytest.mark.parametrize(
    ("name", "alone"), [(n, False) for n in sorted(CORPUS)] + [("route53_resolver", True)]
)
def test_random_damage_keeps_the_promises(name, alone, tmp_path, monkeypatch):
    if alone:  # each file loads alone (no batch): a clean one through DuckDB's reader
        monkeypatch.setattr(pipeline, "SMALL_FILE_BYTES", 0)
    source = "zeek" if name.startswith("zeek") else name
    good, case = open_case(), open_case()  # one case each for all the examples
    n = iter(range(10**6))

    @FUZZ
    @given(damaged_files(name), st.floats(0.05, 0.95))
    def check(example, cut):
        clean, data, hurt, mode = example
        if mode != "plain":
            data = gz(data, mode, cut)
        file = f"f{next(n)}.log"
        load(good, tmp_path / "clean", clean, file)
        res, d = load(case, tmp_path / "damaged", data, file)
        for r in res:  # the counts identity, whatever the damage
            assert r.lines == r.loaded + r.quarantined, r
            q = case.sql("SELECT count(*) AS n FROM quarantine WHERE file = ?", [r.file])
            assert q["n"][0] == r.quarantined
        if res[0].status != "skipped" and name in LINE_BY_LINE and mode != "gzip-flip":
            want, got = rows_by_line(good, source, file), rows_by_line(case, source, file)
            read = res[0].lines if mode == "plain" else res[0].lines - 1  # gzip: cut line
            for line, rows in want.items():
                if line not in hurt and line <= read:
                    assert got.get(line) == rows, (line, mode)
        before = snapshot(case)
        again = case.ingest(d)
        assert {r.status for r in again} == {"unchanged"}
        assert snapshot(case) == before

    check()
