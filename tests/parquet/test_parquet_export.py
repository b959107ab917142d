"""The Parquet export: every table, all its rows, partitioned, with a manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer import open_case, schema
from analyzer.cli import main
from analyzer.errors import InputError
from analyzer.parquet import read_manifest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_logs" / "dynamodb-2025-10-20"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    base = tmp_path_factory.mktemp("export")
    db = base / "case.duckdb"
    with open_case(db) as case:
        case.ingest(SAMPLE)
        manifest = case.export_parquet(base / "pq", buckets=5)
    return db, base / "pq", manifest


def test_every_table_round_trips(exported: tuple[Path, Path, dict]) -> None:
    db, out, manifest = exported
    with open_case(db, read_only=True) as case:
        for table in schema.TABLES:
            cols = ", ".join(f'"{c}"' for c in table.column_names)
            where = str(out / table.name).replace("'", "''")
            back = f"SELECT {cols} FROM read_parquet('{where}/**/*.parquet')"
            n = case.sql(f"SELECT count(*) AS n FROM {table.name}")["n"][0]
            assert manifest["tables"][table.name]["rows"] == n
            diff = case.sql(
                f"SELECT count(*) AS n FROM ((SELECT {cols} FROM {table.name} EXCEPT ALL {back})"
                f" UNION ALL ({back} EXCEPT ALL SELECT {cols} FROM {table.name}))"
            )["n"][0]
            assert diff == 0, table.name
    assert manifest["tables"]["dns_queries"]["rows"] > 1000


def test_dns_queries_are_partitioned_by_day_and_name_bucket(
    exported: tuple[Path, Path, dict],
) -> None:
    _, out, manifest = exported
    with open_case(None) as case:
        where = str(out / "dns_queries").replace("'", "''")
        per_name = case.sql(
            f"SELECT qname, count(DISTINCT bucket) AS b, min(day) = min(ts::DATE) AS day_ok "
            f"FROM read_parquet('{where}/**/*.parquet', hive_partitioning = true) "
            "GROUP BY qname"
        )
    assert per_name["b"].max() == 1  # every query of a name is in one bucket
    assert per_name["day_ok"].all()
    buckets = {p["path"].split("bucket=")[1].split("/")[0] for p in _files(manifest)}
    assert len(buckets) > 1 and buckets <= {str(b) for b in range(5)}


def _files(manifest: dict) -> list[dict]:
    return manifest["tables"]["dns_queries"]["files"]


def test_the_manifest_is_evidence(exported: tuple[Path, Path, dict]) -> None:
    db, out, manifest = exported
    assert read_manifest(out) == manifest
    assert manifest["schema_version"] == schema.SCHEMA_VERSION
    for table in manifest["tables"].values():
        for f in table["files"]:
            assert hashlib.sha256((out / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    with open_case(db, read_only=True) as case:
        files = case.files()
    sources = {s["file"]: s["sha256"] for s in manifest["source_files"]}
    assert sources == dict(zip(files["file"], files["sha256"], strict=True))
    assert any(h for h in sources.values())


def test_an_export_is_written_once(exported: tuple[Path, Path, dict], tmp_path: Path) -> None:
    db, out, _ = exported
    with open_case(db, read_only=True) as case, pytest.raises(InputError, match="not empty"):
        case.export_parquet(out)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(InputError, match="not a plan-forensics Parquet export"):
        read_manifest(tmp_path)


def test_cli_export(exported: tuple[Path, Path, dict], tmp_path: Path) -> None:
    db, _, _ = exported
    result = CliRunner().invoke(main, ["export", str(db), "--parquet", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output
    assert read_manifest(tmp_path / "x")["buckets"] == 32
    result = CliRunner().invoke(main, ["export", str(tmp_path), "--parquet", str(tmp_path / "y")])
    assert result.exit_code == 2 and "analyzer ingest" in result.output


def test_the_export_never_goes_into_the_evidence(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    (logs / "enactor").mkdir(parents=True)
    (logs / "enactor" / "e.log").write_text(
        "ts=2025-10-20T07:00:00Z level=info host=e1 event=plan_check generation=1\n"
    )
    with open_case(tmp_path / "case.duckdb") as case:
        case.ingest(logs)
        with pytest.raises(InputError, match="inside the evidence directory"):
            case.export_parquet(logs / "export")
    assert not (logs / "export").exists()
