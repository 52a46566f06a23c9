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

subprocess.run([sys.executable, script("validate.py"), "signups.csv", "--schema",
                "signups.schema.json", "--out", "report.json"], check=False)
lines = json.load(open("report.json"))["invalid_rows"]
open("invalid_lines.txt", "w").write("".join(f"{n}\n" for n in lines))
