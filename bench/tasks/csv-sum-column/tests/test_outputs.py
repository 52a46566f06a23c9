"""Grader for task csv-sum-column. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

EXPECTED = 4185.69


def test_total():
    text = out("total.txt").read_text().strip()
    # tolerance: within 0.005 (one rounding unit of 2-decimal money)
    assert abs(float(text) - EXPECTED) <= 0.005, text


def test_two_decimals():
    text = out("total.txt").read_text().strip()
    assert "." in text and len(text.split(".")[1]) == 2, text
