"""Grader for task weblog-error-report. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

import re

REQUESTS = 320
RATE = 5.3
TOP = [["/api/orders", 50], ["/api/products", 41], ["/static/app.js", 36]]
SLOWEST = ["/api/products", 4454]


def sections():
    text = out("traffic_report.md").read_text()
    heads = re.findall(r"^## (.+?)\s*$", text, flags=re.MULTILINE)
    parts = re.split(r"^## .+$", text, flags=re.MULTILINE)[1:]
    return heads, dict(zip(heads, parts))


def test_headings_in_order():
    assert sections()[0] == ["Overview", "Top paths", "Slowest request"]


def test_overview():
    body = sections()[1]["Overview"].replace(",", "")
    assert re.search(rf"\b{REQUESTS}\b", body)
    assert f"{RATE:.1f}%" in body.replace(" %", "%")


def test_top_paths_table_in_order():
    body = sections()[1]["Top paths"]
    found = [(m.group(1), int(m.group(2)))
             for m in re.finditer(r"^\|\s*`?(/[^|`\s]*)`?\s*\|\s*(\d+)\s*\|", body, re.MULTILINE)]
    assert [list(f) for f in found] == TOP


def test_slowest_request():
    body = sections()[1]["Slowest request"].replace(",", "")
    assert SLOWEST[0] in body and re.search(rf"\b{SLOWEST[1]}\b", body)
