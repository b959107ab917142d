"""First run: how to get ``analyzer`` on PATH, install from a checkout, completion."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

from analyzer.cli import main
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_says_how_to_get_analyzer_on_path():
    assert "source .venv/bin/activate" in README and ".venv/bin/analyzer" in README
    assert "pip install /path/to/plan-forensics" in README


def test_every_command_is_in_the_readme():
    for name in main.commands:
        assert f"analyzer {name}" in README, name


def test_license_is_an_spdx_string_and_setuptools_can_read_it():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"
    # PEP 639 license expressions need setuptools 77 or later
    assert project["build-system"]["requires"] == ["setuptools>=77"]


def _complete(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "analyzer"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def test_shell_completion_as_documented():
    assert 'eval "$(_ANALYZER_COMPLETE=bash_source analyzer)"' in README
    script = _complete({"_ANALYZER_COMPLETE": "bash_source"})
    assert "complete " in script and "_ANALYZER_COMPLETE=bash_complete" in script
    words = _complete(
        {"_ANALYZER_COMPLETE": "bash_complete", "COMP_WORDS": "analyzer ex", "COMP_CWORD": "1"}
    )
    assert "plain,explain" in words.splitlines()  # bash_complete: type,value per line
