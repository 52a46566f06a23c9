"""Grader for task invoice-total. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

def test_total():
    # tolerance: 0.01 (one cent)
    assert abs(float(out("total.txt").read_text().strip()) - 107.33) <= 0.01
