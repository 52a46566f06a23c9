"""Reference solution: run with cwd = the task workdir."""
import subprocess
import sys
from pathlib import Path


def script(name):
    """The bundled script: at scripts/ in a bench run, under skills/ in a copy of environment/."""
    found = [p for p in [Path("scripts") / name, *Path("skills").glob(f"*/scripts/{name}")]
             if p.is_file()]
    return str(found[0])


import csv
import json

stats = json.loads(subprocess.run([sys.executable, script("logstats.py"), "logs/access.log",
                                   "--top", "3"], check=True, capture_output=True,
                                  text=True).stdout)
slow = subprocess.run([sys.executable, script("slowreq.py"), "logs/access.log", "--min-ms", "0"],
                      check=True, capture_output=True, text=True).stdout
first = next(csv.DictReader(slow.splitlines()))
errors = sum(n for code, n in stats["status"].items() if code.startswith("5"))
lines = ["# Traffic report", "", "## Overview", "",
         f"{stats['requests']} requests, {100 * errors / stats['requests']:.1f}% server errors.",
         "", "## Top paths", "", "| Path | Requests |", "|---|---|"]
lines += [f"| {p} | {n} |" for p, n in stats["top_paths"]]
lines += ["", "## Slowest request", "", f"{first['path']} took {first['ms']} ms.", ""]
open("traffic_report.md", "w").write("\n".join(lines))
