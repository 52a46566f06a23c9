"""Grader for task json-users-by-country. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
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

def test_by_country():
    got = json.loads(out("by_country.json").read_text())
    assert got["active_users"] == 7
    assert got["countries"] == {'AT': ['Kai'], 'FR': ['Ana', 'Eli'], 'NO': ['Bo', 'Dara', 'Femi', 'Gus', 'Hana', 'Ivo'], 'PT': ['Chen', 'Jun', 'Lea']}
