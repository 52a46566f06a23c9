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

run = subprocess.run([sys.executable, script("logstats.py"), "access.log", "--top", "3"],
                     check=True, capture_output=True, text=True)
top = json.loads(run.stdout)["top_paths"]
open("top_paths.txt", "w").write("".join(p + "\n" for p, _ in top))
