"""A wheel install (``pip install /path``, README) carries the rules and report queries.

The built-in queries live in the checkout's top-level ``queries/``; the wheel ships them as
``analyzer/queries``. Without that, an installed analyzer would run no rule at all.
"""

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from analyzer.report.queries import load_queries
from analyzer.rules import load_rules

ROOT = Path(__file__).resolve().parents[1]


def _packages() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]


def test_every_package_and_query_folder_is_listed():
    code = {
        ".".join(d.relative_to(ROOT).parts)
        for d in [ROOT / "analyzer", *(ROOT / "analyzer").rglob("*")]
        if d.is_dir() and d.name != "__pycache__" and any(d.iterdir())
    }
    queries = {
        ".".join(("analyzer", "queries", *d.relative_to(ROOT / "queries").parts)).rstrip(".")
        for d in [ROOT / "queries", *(ROOT / "queries").rglob("*")]
        if d.is_dir() and d.name != "__pycache__"
    }
    assert sorted(_packages()) == sorted(code | queries)


def test_the_wheel_runs_the_same_rules_and_queries(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    sql = {n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".sql")}
    checkout = {
        "analyzer/queries/" + p.relative_to(ROOT / "queries").as_posix()
        for p in (ROOT / "queries").rglob("*.sql")
    }
    assert sql == checkout

    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    probe = (
        "import json, analyzer.rules.loader as l, analyzer.report.queries as q;"
        "print(json.dumps([str(l.BUILTIN_DIR), len(q.load_queries())]))"
    )
    where, n_queries = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], env=env, cwd=tmp_path, check=True, capture_output=True
        ).stdout
    )
    assert Path(where) == unpacked / "analyzer" / "queries"
    assert n_queries == len(load_queries())
    listed = subprocess.run(
        [sys.executable, "-m", "analyzer", "rules", "list", "--format", "json"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    ).stdout
    assert sorted(r["id"] for r in json.loads(listed)) == sorted(load_rules().rules)
