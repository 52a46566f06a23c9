"""Grader for task cron-add-cleanup-job. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

ORIGINAL = "# m h dom mon dow  command\nMAILTO=ops@example.com\nSHELL=/bin/bash\n\n# backups\n15 2 * * *       /opt/jobs/backup_db.sh --full >> /var/log/backup.log 2>&1\n0 */6 * * *      /opt/jobs/snapshot_volumes.sh\n@weekly          /opt/jobs/prune_backups.sh --keep 8\n\n# reports\n30 7 * * mon-fri /opt/jobs/daily_report.py --to team@example.com\n0 9 1 * mon      /opt/jobs/invoice_run.py\n"
NAMES = {**{m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
         **{d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}}
LIMITS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def expand(text, lo, hi):
    vals = set()
    for part in text.split(","):
        rng, slash, step = part.partition("/")
        if rng == "*":
            a, b = lo, hi
        elif "-" in rng:
            a, b = (int(NAMES.get(x.lower(), x)) for x in rng.split("-"))
        else:
            a = int(NAMES.get(rng.lower(), rng))
            b = hi if slash else a
        vals.update(range(a, b + 1, int(step or 1)))
    return vals


def lines():
    return out("crontab").read_text().splitlines()


def test_existing_lines_kept():
    # every original line is still there, in its order (the new job may go anywhere)
    now = iter(x.rstrip() for x in lines())
    missing = [x for x in ORIGINAL.splitlines() if x.strip() and x.rstrip() not in now]
    assert not missing


def test_new_job_schedule():
    jobs = [x.split(None, 5) for x in lines() if "cleanup_tmp.sh" in x and not x.lstrip().startswith("#")]
    assert len(jobs) == 1, "exactly one cleanup_tmp.sh job"
    fields, command = jobs[0][:5], jobs[0][5]
    assert command.split()[0] == "/opt/jobs/cleanup_tmp.sh"
    sets = [expand(f, lo, hi) for f, (lo, hi) in zip(fields, LIMITS)]
    assert sets[0] == {30} and sets[1] == {4}
    assert fields[2] == "*" and fields[3] == "*"
    assert {d % 7 for d in sets[4]} == {1, 2, 3, 4, 5}
