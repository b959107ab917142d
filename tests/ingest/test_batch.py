"""Many small files load in batches, exactly as they load one by one."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from analyzer import open_case
from analyzer.ingest import pipeline

ENACTOR = (
    "ts=2025-10-20T06:47:{s:02d}.000Z level=info host=e{f} event=endpoint_update "
    "generation={i} endpoint=a.example.com attempt=1 status=ok latency_ms=3\n"
)
RESOLVER = (
    '{{"query_timestamp":"2025-10-20T06:48:{s:02d}Z","query_name":"n{i}.example.com.",'
    '"query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[],"srcaddr":"10.0.0.5",'
    '"srcport":"1","transport":"UDP","vpc_id":"vpc-{f}"}}\n'
)
PLANNER = (
    '{{"ts":"2025-10-20T06:47:{s:02d}.000Z","component":"planner","host":"p{f}",'
    '"event":"plan_created","generation":{i},"endpoints":[{{"name":"a.example.com","lbs":1,'
    '"ips":["192.0.2.1"]}}]}}\n'
)


def make_tree(root: Path, n: int, seed: int) -> None:
    rnd = random.Random(seed)
    for f in range(n):
        template = (ENACTOR, RESOLVER, PLANNER)[f % 3]
        lines = [template.format(s=i % 60, f=f, i=f * 100 + i) for i in range(rnd.randint(1, 12))]
        for _ in range(rnd.randint(0, 2)):  # damage: garbage, a blank line, a NUL
            at = rnd.randrange(len(lines))
            lines[at] = rnd.choice(["garbage\n", "\n", lines[at].replace("a", "\0", 1)])
        if rnd.random() < 0.1:  # a half-written last line
            lines[-1] = lines[-1].rstrip("\n")
        sub = root / f"d{f % 7}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{f:04d}.log").write_text("".join(lines))


def snapshot(case) -> dict[str, list]:
    return {
        "enactor": case.sql(
            "SELECT file, line, generation FROM enactor_events ORDER BY ALL"
        ).rows(),
        "dns": case.sql("SELECT file, line, qname FROM dns_queries ORDER BY ALL").rows(),
        "plans": case.sql("SELECT file, line, generation FROM plans ORDER BY ALL").rows(),
        "quarantine": case.sql("SELECT file, line, reason FROM quarantine ORDER BY ALL").rows(),
        "files": case.sql(
            "SELECT file, source, status, lines, loaded, quarantined, sha256, content_sha256,"
            " content_bytes, prefix_sha256, deferred_bytes, message FROM files ORDER BY file"
        ).rows(),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batched_small_files_load_as_they_do_one_by_one(tmp_path, monkeypatch, seed):
    make_tree(tmp_path / "logs", 90, seed)
    batched = open_case()
    results = batched.ingest(tmp_path / "logs")
    assert all(r.lines == r.loaded + r.quarantined for r in results)
    monkeypatch.setattr(pipeline, "SMALL_FILE_BYTES", -1)  # no file is small: one by one
    alone = open_case()
    alone.ingest(tmp_path / "logs")
    assert snapshot(batched) == snapshot(alone)
    assert len(snapshot(batched)["quarantine"]) > 0
    monkeypatch.undo()
    again = batched.ingest(tmp_path / "logs")  # and re-ingest changes nothing
    assert {r.status for r in again} == {"unchanged"}


def test_a_batch_with_something_to_say_loads_file_by_file(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for f in range(5):
        text = "".join(ENACTOR.format(s=i, f=f, i=i) for i in range(3))
        if f == 2:
            text = text.replace(".000Z", ".000")  # no zone: said of this file only
        (logs / f"e{f}.log").write_text(text)
    case = open_case()
    res = {r.file: r for r in case.ingest(logs)}
    assert "3 timestamps had no zone" in res["e2.log"].message
    assert all(res[f"e{f}.log"].message is None for f in (0, 1, 3, 4))
    assert case.sql("SELECT count(*) AS n FROM enactor_events")["n"][0] == 15
