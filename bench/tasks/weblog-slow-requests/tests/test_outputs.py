"""Grader for task weblog-slow-requests. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

import csv

SLOW = [["2025-03-12T09:15:34", "GET", "/favicon.ico", "200", 4441], ["2025-03-12T09:00:36", "GET", "/api/search", "200", 4349], ["2025-03-12T09:07:36", "GET", "/api/search", "304", 4113], ["2025-03-12T08:53:33", "GET", "/api/orders/1088", "200", 4093], ["2025-03-12T09:22:33", "GET", "/api/orders/1364", "200", 3652], ["2025-03-12T09:29:16", "GET", "/api/products", "200", 3516], ["2025-03-12T08:13:00", "POST", "/api/cart", "200", 3476], ["2025-03-12T09:34:11", "GET", "/static/app.css", "200", 3391], ["2025-03-12T08:13:10", "GET", "/api/orders", "200", 3269], ["2025-03-12T08:36:02", "GET", "/api/search", "200", 3219], ["2025-03-12T08:58:02", "GET", "/api/orders", "200", 3147], ["2025-03-12T09:16:12", "GET", "/static/app.js", "200", 3116], ["2025-03-12T08:07:06", "GET", "/api/products", "200", 3051], ["2025-03-12T08:37:57", "POST", "/login", "200", 2972], ["2025-03-12T08:41:29", "GET", "/static/app.js", "200", 2927], ["2025-03-12T09:00:22", "GET", "/static/app.js", "304", 2912], ["2025-03-12T08:22:33", "GET", "/api/products", "304", 2891], ["2025-03-12T09:01:03", "GET", "/api/search", "200", 2861], ["2025-03-12T09:28:59", "GET", "/", "200", 2639], ["2025-03-12T09:39:58", "GET", "/static/app.css", "201", 2420], ["2025-03-12T08:56:00", "GET", "/api/orders/1690", "201", 2416], ["2025-03-12T08:12:10", "GET", "/login", "200", 2021], ["2025-03-12T09:03:36", "GET", "/api/search", "200", 1978], ["2025-03-12T08:04:20", "GET", "/static/app.js", "200", 1907], ["2025-03-12T08:26:35", "GET", "/api/products", "201", 1712]]


def rows():
    with open(out("slow.csv"), newline="") as fh:
        return list(csv.reader(fh))


def test_header():
    assert [c.strip() for c in rows()[0]] == ["time", "method", "path", "status", "ms"]


def test_slow_requests_slowest_first():
    got = [[c.strip() for c in r] for r in rows()[1:] if r]
    assert [r[4] for r in got] == [str(s[4]) for s in SLOW]
    assert got == [[str(c) for c in s] for s in SLOW]
