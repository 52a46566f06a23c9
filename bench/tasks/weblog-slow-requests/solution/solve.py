"""Reference solution: run with cwd = the task workdir."""
import subprocess
import sys
from pathlib import Path


def script(name):
    """The bundled script: at scripts/ in a bench run, under skills/ in a copy of environment/."""
    found = [p for p in [Path("scripts") / name, *Path("skills").glob(f"*/scripts/{name}")]
             if p.is_file()]
    return str(found[0])


subprocess.run([sys.executable, script("slowreq.py"), "logs/access.log", "--min-ms", "1500",
                "--out", "slow.csv"], check=True)
