"""Grader for task pick-weblog-top-paths. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

TOP3 = ["/api/orders", "/static/app.js", "/api/products"]


def test_top_three_in_order():
    lines = [x.strip() for x in out("top_paths.txt").read_text().splitlines() if x.strip()]
    assert lines == TOP3
