"""Reference solution: run with cwd = the task workdir."""
import hashlib
import json
import re
import shutil
from collections import Counter
from pathlib import Path

PATTERNS = [
    (re.compile(r"IMG_(\d{4})(\d{2})(\d{2})_\d+\.jpg"), (1, 2, 3)),
    (re.compile(r"Photo (\d{4})-(\d{2})-(\d{2}) \d+\.jpg"), (1, 2, 3)),
    (re.compile(r"(\d{2})\.(\d{2})\.(\d{4})-cam\d+\.JPG"), (3, 2, 1)),
]
def day(name):
    for pat, (y, m, d) in PATTERNS:
        mt = pat.fullmatch(name)
        if mt:
            return mt.group(y), mt.group(m), mt.group(d)
    raise ValueError(name)
seen, per_day, kept, dups = set(), Counter(), 0, 0
for p in sorted(Path("camera").iterdir(), key=lambda p: p.as_posix()):
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    if digest in seen:
        dups += 1
        continue
    seen.add(digest)
    y, m, d = day(p.name)
    per_day[(y, m, d)] += 1
    dest = Path("photos") / y / m / f"{y}-{m}-{d}_{per_day[(y, m, d)]}.jpg"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(p, dest)
    kept += 1
json.dump({"kept": kept, "duplicates": dups}, open("manifest.json", "w"))
