"""``analyzer simulate`` and the import boundary of the simulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from analyzer.cli import main


def test_cli_writes_logs_and_ground_truth(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "random",
            "--out",
            str(out),
            "--seed",
            "2",
            "--design",
            "fixed",
            "--stall",
            "--no-gzip",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "random seed 2 (fixed)" in result.stderr and "DNS lines" in result.stderr
    labels = json.loads((out / "ground-truth.json").read_text())
    assert {f["rule"] for f in labels} >= {"stale_plan_check"}
    assert (out / "planner" / "planner.jsonl").is_file()


def test_cli_rejects_options_the_scenario_does_not_take(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["simulate", "scale", "--out", str(tmp_path), "--enactors", "3"]
    )
    assert result.exit_code == 2
    assert "unknown option" in result.stderr and "enactors" in result.stderr
    result = CliRunner().invoke(main, ["simulate", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2


def test_simulator_imports_no_cli_or_plotting() -> None:
    code = (
        "import sys, analyzer.simulate; print(sorted({'click', 'matplotlib'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
