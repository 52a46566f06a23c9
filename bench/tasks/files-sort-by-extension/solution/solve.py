"""Reference solution: run with cwd = the task workdir."""
import shutil
from pathlib import Path

for p in sorted(Path("inbox").rglob("*")):
    if not p.is_file():
        continue
    ext = p.suffix[1:].lower() if p.suffix else "other"
    dest = Path("organized") / ext / p.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(p), dest)
