"""Grader for task weblog-summary. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

import json

EXPECTED = {"requests": 260, "status": {"200": 183, "201": 9, "301": 8, "304": 23, "404": 22, "500": 9, "502": 6}, "bytes": 4315113, "top_paths": [["/api/products", 34], ["/", 32], ["/static/app.js", 29], ["/api/orders", 28], ["/api/cart", 27]]}


def summary():
    return json.loads(out("summary.json").read_text())


def test_requests_and_bytes():
    s = summary()
    assert s["requests"] == EXPECTED["requests"]
    assert s["bytes"] == EXPECTED["bytes"]


def test_status_counts():
    assert {str(k): v for k, v in summary()["status"].items()} == EXPECTED["status"]


def test_top_paths():
    assert [list(p) for p in summary()["top_paths"]] == EXPECTED["top_paths"]
