"""Grader for task ledger-account-balances. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
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

BALANCES = {
 "assets:bank:checking": 7732.49,
 "assets:bank:joint account": -1950.0,
 "expenses:food:dining": 706.1,
 "expenses:food:groceries": 192.84,
 "expenses:health": 364.85,
 "expenses:rent": 4950.0,
 "expenses:transport": 14.33,
 "expenses:utilities:electric": 352.26,
 "expenses:utilities:internet": 93.42,
 "income:salary": -12375.0,
 "liabilities:credit card": -81.29
}


def balances():
    return json.loads(out("balances.json").read_text())


def test_accounts():
    assert set(balances()) == set(BALANCES)


def test_balances_to_the_cent():
    got = balances()
    for account, value in BALANCES.items():
        assert round(float(got[account]), 2) == value, account
