"""Reference solution: run with cwd = the task workdir."""
import subprocess
import sys
from pathlib import Path


def script(name):
    """The bundled script: at scripts/ in a bench run, under skills/ in a copy of environment/."""
    found = [p for p in [Path("scripts") / name, *Path("skills").glob(f"*/scripts/{name}")]
             if p.is_file()]
    return str(found[0])


import json
from collections import Counter

subprocess.run([sys.executable, script("validate.py"), "orders.csv", "--schema",
                "orders.schema.json", "--delimiter", ";", "--out", "report.json"], check=False)
errors = Counter(e["column"] for e in json.load(open("report.json"))["errors"])
json.dump(dict(sorted(errors.items())), open("errors_by_column.json", "w"), indent=2)
