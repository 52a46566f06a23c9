"""Grader for task pick-cron-runs-per-day. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
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

RUNS = {
 "backup_db.sh": 1,
 "snapshot_volumes.sh": 4,
 "prune_backups.sh": 0,
 "daily_report.py": 1,
 "invoice_run.py": 0,
 "weekly_digest.py": 0,
 "quarter_close.py": 0,
 "sync_inventory.sh": 33,
 "rotate_logs.sh": 0,
 "cert_check.sh": 0,
 "warm_cache.sh": 0,
 "reindex_search.sh": 0,
 "spring_sale_banner.sh": 1,
 "poll_partner_api.py": 144,
 "purge_sessions.sh": 1,
 "holiday_archive.sh": 0
}


def test_every_job_counted():
    assert set(json.loads(out("runs.json").read_text())) == set(RUNS)


def test_counts():
    got = json.loads(out("runs.json").read_text())
    for name, n in RUNS.items():
        assert int(got[name]) == n, name
