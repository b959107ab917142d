"""``analyzer report``: files written, formats, errors (exit 2, one line on stderr)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from analyzer.cli import main

from .conftest import CASE_DIR, REPO


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_report_from_a_log_directory_then_from_its_case(tmp_path: Path):
    db, out = tmp_path / "case.duckdb", tmp_path / "out"
    code, stdout, stderr = run(
        "report", str(CASE_DIR), "--db", str(db), "--out", str(out), "--tz",
        "America/Los_Angeles", "--quiet",
    )  # fmt: skip
    assert code == 0, stderr
    assert stdout.split() == [
        str(out / "report.html"),
        str(out / "report.md"),
        str(out / "report.json"),
    ]
    page = (out / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 3
    assert "23:47:31.512 PDT" in page  # the trigger, in the chosen zone
    assert (out / "figures" / "swimlane.png").read_bytes()[:4] == b"\x89PNG"
    assert "![" in (out / "report.md").read_text()
    data = json.loads((out / "report.json").read_text())
    assert data["trigger"] == "2025-10-20T06:47:31.512Z"
    assert {f["rule"] for f in data["findings"]} >= {"cleanup_deleted_live_plan", "endpoint_empty"}

    # the case database itself, read-only, one format, no figures
    out2 = tmp_path / "out2"
    code, stdout, stderr = run(
        "report", str(db), "--out", str(out2), "--format", "md", "--no-figures",
        "--param", "enactor_stall.min_s=90",
    )  # fmt: skip
    assert code == 0, stderr
    assert sorted(p.name for p in out2.iterdir()) == ["report.md"]
    assert "| enactor_stall.min_s | 90 |" in (out2 / "report.md").read_text()
    assert "report: " in stderr and "findings" in stderr


def test_report_errors_are_one_line_and_exit_2(tmp_path: Path):
    for args, message in [
        (["--tz", "Mars/Olympus"], "unknown time zone"),
        (["--format", "pdf"], "unknown report format"),
    ]:
        code, _, stderr = run(
            "report", str(CASE_DIR), "--db", str(tmp_path / "c.duckdb"), "--out",
            str(tmp_path / "o"), *args,
        )  # fmt: skip
        assert code == 2 and stderr.startswith("error: ") and message in stderr
        assert stderr.count("\n") == 1
    code, _, stderr = run("report", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"))
    assert code == 2 and "no such file or directory" in stderr


def test_every_command_has_help():
    for name in ("report", "audit"):
        code, stdout, _ = run(name, "--help")
        assert code == 0 and "Usage:" in stdout and "--out" in stdout


def test_every_option_is_documented():
    from analyzer.cli.report import audit, report

    for command, page in ((report, "report.md"), (audit, "audit.md")):
        text = (REPO / "docs" / page).read_text()
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert f"`{opt}" in text, f"{opt} of {command.name} is not in docs/{page}"
