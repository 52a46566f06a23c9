"""Grader for task csv-validate-signups. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

BAD = [3, 8, 9, 19, 28, 29, 30, 34, 37, 47, 50, 51, 52, 53, 56, 60]


def test_invalid_lines():
    got = [int(x) for x in out("invalid_lines.txt").read_text().split()]
    assert got == BAD
