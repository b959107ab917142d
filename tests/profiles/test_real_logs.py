"""The example profiles of docs/profiles/examples/ on real control-plane log lines
(``/work/shared/real-logs/control-planes``, read in place, never copied)."""

from __future__ import annotations

from analyzer import open_case
from tests.conftest import REAL_LOGS, REPO, utc

REAL = REAL_LOGS / "control-planes"
EXAMPLES = REPO / "docs" / "profiles" / "examples"


def _ingest(folder: str, profile: str):
    case = open_case()
    results = {r.file: r for r in case.ingest(REAL / folder, profiles=[EXAMPLES / profile])}
    assert results["PROVENANCE.md"].status == "skipped"
    return case, results


def test_external_dns_logrus_lines_as_operator_actions():
    case, results = _ingest("external-dns", "external-dns.toml")
    r = results["external-dns.log"]
    assert (r.source, r.lines, r.loaded, r.quarantined) == ("external-dns", 4, 4, 0)
    rows = case.sql("SELECT line, ts, actor, action, endpoint FROM operator_actions ORDER BY line")
    assert rows.rows() == [
        (1, utc(2020, 1, 17, 6, 8, 8), "external-dns", "create_record", "httpbin.example.com"),
        (2, utc(2020, 1, 17, 6, 8, 8), "external-dns", "create_record", "httpbin.example.com"),
        (3, utc(2020, 1, 17, 6, 8, 8), "external-dns", "sync", None),
        (4, utc(2020, 1, 17, 6, 9, 8), "external-dns", "sync", None),
    ]
    note = case.sql("SELECT note FROM operator_actions WHERE line = 3")["note"][0]
    assert note == "2 record(s) in zone example.com. were successfully updated"


def test_terraform_apply_json_with_offsets_and_at_keys():
    case, results = _ingest("terraform", "terraform.toml")
    r = results["terraform-apply.jsonl"]
    assert (r.source, r.loaded, r.quarantined) == ("terraform-apply", 4, 0)
    rows = case.sql("SELECT line, ts, action, endpoint FROM operator_actions ORDER BY line")
    assert rows.rows() == [
        (1, utc(2021, 5, 25, 17, 32, 41, 705503), "planned_change", None),
        (2, utc(2021, 5, 25, 17, 32, 41, 825308), "apply_start", "random_pet.animal"),
        (3, utc(2021, 5, 25, 17, 32, 41, 826179), "apply_complete", "random_pet.animal"),
        (4, utc(2021, 5, 25, 17, 32, 41, 869168), "change_summary", None),
    ]


def test_without_a_profile_these_logs_are_skipped_not_guessed():
    case = open_case()
    results = case.ingest(REAL / "external-dns")
    assert all(r.status == "skipped" for r in results)
    assert "no known log source" in results[-1].message
