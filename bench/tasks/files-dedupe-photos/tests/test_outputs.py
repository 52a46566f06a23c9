"""Grader for task files-dedupe-photos. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
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

import re

EXPECTED = {'JPEGDATA-0-748189': '2023-05-07', 'JPEGDATA-5-746774': '2023-08-14', 'JPEGDATA-8-780664': '2023-05-15', 'JPEGDATA-4-501906': '2023-01-23', 'JPEGDATA-6-164196': '2023-01-25', 'JPEGDATA-1-892591': '2023-10-11', 'JPEGDATA-3-192439': '2023-12-19', 'JPEGDATA-7-906917': '2023-04-02', 'JPEGDATA-9-144984': '2023-08-01', 'JPEGDATA-2-778524': '2023-09-14'}
DUPLICATES = 6


def test_photos():
    root = WORKDIR / "photos"
    assert root.is_dir(), "photos/ missing"
    files = [p for p in root.rglob("*") if p.is_file()]
    got = {}
    for p in files:
        rel = p.relative_to(root).as_posix()
        m = re.fullmatch(r"(\d{4})/(\d{2})/(\d{4})-(\d{2})-(\d{2})_(\d+)\.jpg", rel)
        assert m, rel
        assert m.group(1) == m.group(3) and m.group(2) == m.group(4), rel
        got[p.read_text()] = f"{m.group(3)}-{m.group(4)}-{m.group(5)}"
    assert len(files) == len(EXPECTED)
    assert got == EXPECTED


def test_manifest():
    man = json.loads(out("manifest.json").read_text())
    assert man["kept"] == len(EXPECTED)
    assert man["duplicates"] == DUPLICATES
