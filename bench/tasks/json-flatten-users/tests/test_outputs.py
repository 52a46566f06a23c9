"""Grader for task json-flatten-users. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import csv
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

USERS = [{'id': 1, 'name': 'Ana', 'contact': {'email': 'ana@example.org', 'phone': '+68 507011'}, 'address': {'city': 'Lyon', 'country': 'FR'}, 'active': True}, {'id': 2, 'name': 'Bo', 'contact': {'email': 'bo@example.org', 'phone': '+74 468015'}, 'address': {'city': 'Oslo', 'country': 'NO'}, 'active': False}, {'id': 3, 'name': 'Chen', 'contact': {'email': 'chen@example.org', 'phone': '+32 121029'}, 'address': {'city': 'Porto', 'country': 'PT'}, 'active': True}, {'id': 4, 'name': 'Dara', 'contact': {'email': 'dara@example.org', 'phone': '+18 991142'}, 'address': {'city': 'Oslo', 'country': 'NO'}, 'active': False}, {'id': 5, 'name': 'Eli', 'contact': {'email': 'eli@example.org', 'phone': '+14 169150'}, 'address': {'city': 'Lyon', 'country': 'FR'}, 'active': True}, {'id': 6, 'name': 'Femi', 'contact': {'email': 'femi@example.org', 'phone': '+38 840152'}, 'address': {'city': 'Oslo', 'country': 'NO'}, 'active': True}, {'id': 7, 'name': 'Gus', 'contact': {'email': 'gus@example.org', 'phone': '+69 734631'}, 'address': {'city': 'Oslo', 'country': 'NO'}, 'active': False}, {'id': 8, 'name': 'Hana', 'contact': {'email': 'hana@example.org', 'phone': '+39 469952'}, 'address': {'city': 'Oslo', 'country': 'NO'}, 'active': True}, {'id': 9, 'name': 'Ivo', 'contact': {'email': 'ivo@example.org', 'phone': '+62 498840'}, 'address': {'city': 'Oslo', 'country': 'NO'}, 'active': False}, {'id': 10, 'name': 'Jun', 'contact': {'email': 'jun@example.org', 'phone': '+69 586552'}, 'address': {'city': 'Porto', 'country': 'PT'}, 'active': True}, {'id': 11, 'name': 'Kai', 'contact': {'email': 'kai@example.org', 'phone': '+91 866137'}, 'address': {'city': 'Graz', 'country': 'AT'}, 'active': True}, {'id': 12, 'name': 'Lea', 'contact': {'email': 'lea@example.org', 'phone': '+68 478872'}, 'address': {'city': 'Porto', 'country': 'PT'}, 'active': False}]
COLS = ['id', 'name', 'contact.email', 'contact.phone', 'address.city', 'address.country', 'active']


def test_flat_csv():
    with open(out("users_flat.csv"), newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == COLS
    assert len(rows) == len(USERS) + 1
    for row, u in zip(rows[1:], USERS):
        exp = [str(u["id"]), u["name"], u["contact"]["email"], u["contact"]["phone"],
               u["address"]["city"], u["address"]["country"], "true" if u["active"] else "false"]
        # whitespace around cells is ignored; booleans compared case-insensitively
        assert [c.strip() for c in row[:-1]] == exp[:-1]
        assert row[-1].strip().lower() == exp[-1]
