"""Grader for task files-sort-by-extension. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

import hashlib

EXPECTED = {'organized/docx/photo_00.docx': '0a69a0a22098ee91867a08ec72ea8024fb80d1ab0db9d10b98175dc164cb977b', 'organized/jpg/scan_01.JPG': '9b4b0cc2fd7ad1a58e48784886ca0ca4b855f1070d09730ca74b224c49bf99b8', 'organized/png/holiday_02.png': 'bb4ffee537d29ef5278f94677d96b7c12f00cfcbf5fde2e4626a87fc5be95eee', 'organized/txt/photo_03.txt': '201864347c74fcfb4501c66ca3ee3cdcea15fbbcb6335fa7c55a624060dddba4', 'organized/pdf/holiday_04.pdf': '39de8e8d2643814dd22267543bb15d91ed87db9ac7effab9660988229fda4824', 'organized/pdf/photo_05.PDF': 'd1fbd3e0d97f7ed6fee0a1940abfdb0ae0649b9feb01a2d4a4131aaf737d97b9', 'organized/docx/report_06.docx': '0d6892cdcda796b81dd89e4b9a49881de7c0bddcb6dee5977f78071a9ef747d1', 'organized/txt/scan_07.txt': '58b3770d67d29b1e68709bbf83e7921f37f67427008c0af29f6a61bf26b712cc', 'organized/jpg/scan_08.JPG': '827bfa1477804dd4977cef662593ad4ffcbd4c2d546ef7177f0d9d15af636f19', 'organized/other/report_09': '14719576b6102aa51198615534a665cd3985a5ddf2954fdc7800d212d77a57fd', 'organized/txt/contract_10.txt': '9e90e15c90ae0899bcd7a41dc3978885d8bbf273208930c4e0b2c8f562c2e44a', 'organized/pdf/contract_11.pdf': '30340ec7f16b288abcdf49be86aa3c7f2a4cf01029557e08c7f294ae08345054', 'organized/pdf/report_12.pdf': '3ff04d8a2ddf0db59e79e3d12598cddbe809f128d4f22b8f6b68b934da04a2c6', 'organized/pdf/photo_13.PDF': 'e31db40c32b4a0fad962a787c87c38251ea9f12396a9766224d2210c849f032f', 'organized/docx/budget_14.docx': '8599a1ed50f306305dc1e4add951ee2caf6987bbca39cc1ce9a6722c68a4aa8a', 'organized/pdf/scan_15.pdf': '86c256feb0764213305f0df9fbec762b321c36053f833c369e8f528a3f13a2f5', 'organized/csv/logo_16.csv': '4dac122338e4ef62d5b97187a72524f5c9a404e6326160fed3e8d865d5585be1', 'organized/pdf/readme_17.PDF': 'd142dbbcb23e1cb3a9a6ee7decf0de69a4f19ece7d24c72fdf857f41d7f38cec', 'organized/jpg/contract_18.JPG': 'a0d15374f154d41ce0a537e78ad784faf0dae23a3e36fbde90690310cfb3c2ee', 'organized/pdf/draft_19.pdf': '8a95ef1865645c911f4f7c077fe8538cb42c167f04a51aed4866a284af264a64', 'organized/jpg/photo_20.jpg': '75e2e870db236ba6180b46ae0d0849b73b615e93987f38b59ce20abaa9e24da2', 'organized/txt/notes_21.txt': 'a9ee91413b6548115e591fb0e50f836ac9a0deca4b47b0c3af8357384c07825c'}


def test_layout():
    root = WORKDIR / "organized"
    assert root.is_dir(), "organized/ missing"
    got = {p.relative_to(WORKDIR).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
           for p in root.rglob("*") if p.is_file()}
    assert got == EXPECTED


def test_inbox_empty():
    assert not [p for p in (WORKDIR / "inbox").rglob("*") if p.is_file()]
