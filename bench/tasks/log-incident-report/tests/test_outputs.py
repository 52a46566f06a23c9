"""Grader for task log-incident-report. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
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

ERRORS = [('2024-03-05T09:09:49Z', 'api', 'upstream 502'), ('2024-03-05T09:31:02Z', 'api', 'upstream 502'), ('2024-03-05T09:44:23Z', 'auth', 'token expired'), ('2024-03-05T09:58:58Z', 'auth', 'token expired'), ('2024-03-05T10:08:19Z', 'auth', 'token expired'), ('2024-03-05T10:16:03Z', 'billing', 'ledger mismatch'), ('2024-03-05T10:39:59Z', 'cache', 'eviction storm'), ('2024-03-05T10:49:12Z', 'cache', 'eviction storm'), ('2024-03-05T11:06:49Z', 'billing', 'card declined'), ('2024-03-05T11:18:12Z', 'cache', 'eviction storm'), ('2024-03-05T11:26:37Z', 'db', 'deadlock detected'), ('2024-03-05T11:27:40Z', 'api', 'upstream 502')]


def field(label):
    text = out("incident_report.md").read_text()
    m = re.search(rf"^\**{label}:?\**:?\s*(.+?)\s*$", text, flags=re.MULTILINE)
    assert m, f"missing line {label}"
    return m.group(1).strip("*` ")


def test_fields():
    assert field("First error") == '2024-03-05T09:09:49Z'
    assert field("Last error") == '2024-03-05T11:27:40Z'
    assert int(field("Error count")) == 12
    assert field("Most affected component") == 'api'
    assert field("Most common message") == 'eviction storm'


def test_timeline():
    text = out("incident_report.md").read_text()
    assert "## Timeline" in text
    timeline = text.split("## Timeline", 1)[1]
    bullets = re.findall(r"^- (\S+) ([\w.-]+): (.+?)\s*$", timeline, flags=re.MULTILINE)
    assert [tuple(b) for b in bullets] == ERRORS
