"""Grader for task log-errors-by-component. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import json
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

def test_json():
    got = json.loads(out("errors_by_component.json").read_text())
    assert got["total_errors"] == 12
    assert got["total_warnings"] == 10
    assert got["by_component"] == {'api': 3, 'auth': 3, 'billing': 2, 'cache': 3, 'db': 1}
