"""Same truth through any dialect: findings on a dialect's logs, read through its
profiles, equal the findings on the spec-format logs of the same run."""

from __future__ import annotations

from pathlib import Path

from analyzer import open_case
from analyzer.simulate import DIALECTS, simulate
from tests.conftest import REPO

PROFILES = REPO / "docs" / "profiles"
SEEDS = range(12)
TABLES = {
    "enactor_events": "* EXCLUDE (extra, file)",
    "plans": "* EXCLUDE (file)",
    "planner_events": "* EXCLUDE (extra, file)",
    "operator_actions": "* EXCLUDE (extra, file)",
}


def _case(out: Path, profiles: list[Path]):
    case = open_case()
    results = case.ingest(out, profiles=profiles)
    for r in results:
        assert r.lines == r.loaded + r.quarantined, r
    return case, results


def _findings(case, files: dict[str, str]) -> list[tuple]:
    """Each finding with the fields the property compares; evidence files renamed."""
    return sorted(
        (
            f["rule"],
            f["endpoint"],
            f["generation"],
            f["host"],
            f["start"],
            f["end"],
            tuple(sorted((files.get(e["file"], e["file"]), e["line"]) for e in f["evidence"])),
        )
        for f in case.findings().records()
    )


def _compare(tmp_path: Path, scenario: str, seed: int) -> int:
    """Simulate once per dialect; compare each dialect's case with the spec's."""
    spec = simulate(scenario, tmp_path / "spec", seed=seed)
    a, spec_files = _case(spec.out, [])
    found = _findings(a, {})
    spec_controls = sorted(r.file for r in spec_files if r.source and r.file[:4] != "dns/")
    for dialect in DIALECTS:
        other = simulate(scenario, tmp_path / dialect, seed=seed, dialect=dialect)
        b, dialect_files = _case(other.out, [PROFILES / dialect])
        sources = {r.file: r.source for r in dialect_files if r.source}
        controls = sorted(f for f in sources if not f.startswith("dns/"))
        assert controls and not {sources[f] for f in controls} & {"planner", "enactor", "operator"}
        renamed = dict(zip(controls, spec_controls, strict=True))
        for table, cols in TABLES.items():
            q = f"SELECT {cols} FROM {table} ORDER BY ALL"
            assert a.sql(q).equals(b.sql(q)), (table, seed, dialect)
        q = "SELECT line, count(*) AS n FROM quarantine GROUP BY ALL ORDER BY ALL"
        assert a.sql(q).equals(b.sql(q)), (seed, dialect)
        assert found == _findings(b, renamed), (scenario, seed, dialect)
    return len(found)


def test_findings_equal_across_seeds(tmp_path):
    total = sum(_compare(tmp_path / str(seed), "random", seed) for seed in SEEDS)
    assert total > 0  # some seeds have findings to compare


def test_the_reconstructed_outage_with_torn_lines(tmp_path):
    """The 2025-10-20 run: every rule fires, and its torn line is quarantined in both."""
    assert _compare(tmp_path, "dynamodb-2025-10-20", 20251020) >= 8
