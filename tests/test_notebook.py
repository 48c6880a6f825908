"""The worked example runs from top to bottom."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def test_worked_example_runs():
    nb = nbformat.read(ROOT / "notebooks" / "worked_example.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "wards changed rank" in outputs
    assert "SYNTHETIC" in outputs
