"""Grader for task json-group-orders. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
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

EXPECTED = {'Ana': {'orders': ['O-521'], 'total': 17.5}, 'Bo': {'orders': ['O-500', 'O-504', 'O-506', 'O-507', 'O-514', 'O-516', 'O-517', 'O-523', 'O-526'], 'total': 768.0}, 'Chen': {'orders': ['O-513', 'O-525'], 'total': 57.0}, 'Dara': {'orders': ['O-501'], 'total': 89.0}, 'Eli': {'orders': ['O-511', 'O-515', 'O-528'], 'total': 249.5}, 'Femi': {'orders': ['O-502', 'O-508', 'O-509', 'O-519'], 'total': 300.0}}


def test_customers():
    got = json.loads(out("customers.json").read_text())
    assert sorted(got) == sorted(EXPECTED)
    for name, exp in EXPECTED.items():
        assert got[name]["orders"] == exp["orders"]
        # tolerance: one cent
        assert abs(got[name]["total"] - exp["total"]) <= 0.01
