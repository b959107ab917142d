"""The same rules, the same findings: DuckDB on the case against Spark on its export.

On the bundled sample and ten simulated systems, ``SparkCase.findings()`` over the
Parquet export must return exactly the records ``Case.findings()`` returns: rule,
severity, times, endpoint, generation, host, summary, details and evidence, in the
same order.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from analyzer import open_case
from analyzer.simulate import simulate
from analyzer.spark.modes import spark_mode

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_logs" / "dynamodb-2025-10-20"
# Ten simulated systems: random small systems (faults, clock skew, malformed lines,
# both designs), two with wrong clocks (the ordering model), two with CloudTrail of
# the Enactors' writes, the change history (CloudTrail and Resolver logs only) and a
# noisy day (names discovered in DNS alone).
SEEDS = [("random", s, {}) for s in range(4)] + [
    ("random", 4, {"clock_faults": True}),
    ("random", 5, {"clock_faults": True}),
    ("random", 6, {"cloudtrail": True}),
    ("random", 7, {"cloudtrail": True}),
    ("change-history", 8, {}),
    ("noisy-day", 9, {}),
]


def _both(
    spark: Any, logs: Path, export: Path, reader: str | None = None
) -> tuple[list[dict[str, Any]], list[Any]]:
    from analyzer.spark.engine import SparkCase

    with open_case(None) as case:
        case.ingest(logs)
        expected = case.findings().records()
        case.export_parquet(export, buckets=3)
    with SparkCase(export, session=spark, reader=reader) as on_spark:
        got = on_spark.findings().records()
    return expected, got


@pytest.fixture(scope="module")
def runs(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Any, Any]]:
    # the sample both ways: each task's DuckDB reading its bucket's files (the default
    # for a path), and Spark reading them and shuffling by bucket (as for s3a:// URLs)
    out = [
        (
            f"sample, {reader} reads",
            *_both(spark, SAMPLE, tmp_path_factory.mktemp(f"spark-{reader}"), reader),
        )
        for reader in ("duckdb", "spark")
    ]
    for scenario, seed, options in SEEDS:
        logs = tmp_path_factory.mktemp(f"seed{seed}")
        simulate(scenario, logs, seed=seed, **options)
        name = f"{scenario} seed {seed}"
        export = tmp_path_factory.mktemp(f"spark-export-seed{seed}")
        out.append((name, *_both(spark, logs, export)))
    return out


def test_spark_finds_exactly_what_duckdb_finds(runs: list[tuple[str, Any, Any]]) -> None:
    assert len(runs) == 2 + len(SEEDS)
    for name, expected, got in runs:
        assert len(got) == len(expected), name
        for want, have in zip(expected, got, strict=True):
            assert have == want, f"{name}: {want['rule']} at {want['start']}"


def test_the_runs_exercise_both_modes(runs: list[tuple[str, Any, Any]]) -> None:
    """Not vacuous: per-bucket (by qname) and global rules both found something."""
    from analyzer.rules import load_rules

    rules = load_rules().rules
    modes = Counter(
        spark_mode(rules[f["rule"]].spark, rules[f["rule"]].tables)[0]
        for _, expected, _ in runs
        for f in expected
    )
    assert modes["qname"] > 0 and modes["global"] > 0, modes
    found = {f["rule"] for _, expected, _ in runs for f in expected}
    assert {"record_set_emptied", "dns_resolution_failure", "endpoint_empty"} <= found, found


def test_cli_detect_and_report_on_spark(spark: Any, tmp_path: Path) -> None:
    """detect and report --engine spark over the export print what the case gives."""
    import json

    from click.testing import CliRunner

    from analyzer.cli import main

    runner = CliRunner()
    db, export = tmp_path / "case.duckdb", tmp_path / "pq"
    with open_case(db) as case:
        case.ingest(SAMPLE)
    assert runner.invoke(main, ["export", str(db), "--parquet", str(export)]).exit_code == 0
    args = ["--format", "json", "--fail-on", "none", "--quiet"]
    local = runner.invoke(main, ["detect", str(db), *args])
    remote = runner.invoke(main, ["detect", "--engine", "spark", "--parquet", str(export), *args])
    assert remote.exit_code == 0, remote.output
    assert json.loads(remote.stdout) == json.loads(local.stdout) != []
    reports = []
    for where in (["--engine", "spark", "--parquet", str(export)], [str(db)]):
        out = tmp_path / f"report{len(reports)}"
        opts = ["--out", str(out), "--format", "json", "--no-figures", "--quiet"]
        result = runner.invoke(main, ["report", *where, *opts])
        assert result.exit_code == 0, result.output
        reports.append(json.loads((out / "report.json").read_text()))
    # the same findings, timeline, impact and inventory (once, under a loaded full run,
    # the order of equal-time items differed: compared as sets)
    for key in ("findings", "timeline"):
        a, b = ({json.dumps(x, sort_keys=True) for x in rep[key]} for rep in reports)
        assert a == b, key
    for key in ("severity_counts", "impact", "inventory", "trigger"):
        assert reports[0][key] == reports[1][key], key
    assert len(reports[0]["findings"]) == len(json.loads(local.stdout))
