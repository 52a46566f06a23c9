"""Regenerate passes/analysis/import_to_dist.json from pipreqs' maintained import -> PyPI map.

pipreqs (Apache-2.0, github bndr/pipreqs) ships ``pipreqs/mapping``: one ``import:dist`` line
per import name whose distribution is named differently. skvmc keeps a JSON copy of that data
(not code) so a compile is the same on every machine, whatever is installed.

    pip download --no-deps pipreqs -d /tmp/p
    python bench/update_import_map.py /tmp/p/pipreqs-*.whl
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "passes" / "analysis" / "import_to_dist.json"


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read("pipreqs/mapping").decode("utf-8")
        version = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    dists: dict[str, set] = {}
    for line in text.splitlines():
        if ":" in line:
            module, dist = line.strip().split(":", 1)
            dists.setdefault(module, set()).add(dist)
    mapping = {m: d.pop() for m, d in dists.items() if len(d) == 1}
    ambiguous = sorted(m for m, d in dists.items() if len(d) > 1)
    data = {"source": f"pipreqs {version.split('-')[1].split('.dist')[0]} (pipreqs/mapping, "
                      "Apache-2.0)", "mapping": dict(sorted(mapping.items())),
            "ambiguous": ambiguous}
    OUT.write_text(json.dumps(data, indent=0, sort_keys=False) + "\n")
    print(f"{len(mapping)} entries, {len(ambiguous)} ambiguous -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
