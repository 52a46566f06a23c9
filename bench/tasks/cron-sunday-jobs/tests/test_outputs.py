"""Grader for task cron-sunday-jobs. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

SUNDAY = ["backup_db.sh", "prune_backups.sh", "purge_sessions.sh", "quarter_close.py", "reindex_search.sh", "rotate_logs.sh", "snapshot_volumes.sh", "spring_sale_banner.sh", "sync_inventory.sh"]


def test_jobs_of_the_day():
    got = [x.strip() for x in out("sunday_jobs.txt").read_text().splitlines() if x.strip()]
    assert sorted(got) == SUNDAY


def test_alphabetical():
    got = [x.strip() for x in out("sunday_jobs.txt").read_text().splitlines() if x.strip()]
    assert got == sorted(got)
