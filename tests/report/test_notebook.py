"""The investigation notebook runs top to bottom, and is committed without outputs."""

from __future__ import annotations

import pytest

from .conftest import REPO, SAMPLE

NOTEBOOK = REPO / "notebooks" / "investigate-dynamodb-2025-10-20.ipynb"


def test_committed_notebook_has_no_outputs():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "no code cells"
    for cell in code:
        assert cell.outputs == [], "strip the outputs before committing"
        assert cell.execution_count is None


def test_notebook_runs_top_to_bottom():
    if not (SAMPLE / "enactor").is_dir():
        pytest.skip("sample_logs/dynamodb-2025-10-20 is not there")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # "python3" is the venv's own kernel: jupyter_client starts it with sys.executable
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # the three figures
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "trigger: 2025-10-19 11:48" in text and "PM PDT" in text
