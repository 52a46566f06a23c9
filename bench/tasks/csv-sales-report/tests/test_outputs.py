"""Grader for task csv-sales-report. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
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

TOTAL = 4185.69
ORDERS = 48
REGIONS = {'East': 695.01, 'North': 935.38, 'South': 2079.96, 'West': 475.34}
TOP = 'Widget'


def sections():
    text = out("sales_report.md").read_text()
    heads = re.findall(r"^## (.+?)\s*$", text, flags=re.MULTILINE)
    parts = re.split(r"^## .+$", text, flags=re.MULTILINE)[1:]
    return heads, dict(zip(heads, parts))


def test_headings_in_order():
    heads, _ = sections()
    assert heads == ["Overview", "By region", "Top product"]


def test_overview_numbers():
    _, sec = sections()
    # exact 2-decimal total; thousands separators are accepted
    assert f"{TOTAL:.2f}" in sec["Overview"].replace(",", "")
    assert re.search(rf"\b{ORDERS}\b", sec["Overview"])


def test_region_table():
    _, sec = sections()
    body = sec["By region"].replace(",", "")
    for region, total in REGIONS.items():
        assert re.search(rf"\|\s*{region}\s*\|\s*{total:.2f}\s*\|", body), region


def test_top_product():
    _, sec = sections()
    assert TOP in sec["Top product"]
