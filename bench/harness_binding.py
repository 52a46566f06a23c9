"""Write a harness-binding measurement (targets/bindings/MODEL--HARNESS.json) from the
results of ``skvmc bench --harness H --model M`` (its results.json).

  python bench/harness_binding.py bench/results/harness-pi/results.json [-o targets/bindings]

From the graded runs: how often the model loaded the original skill itself (skillLoading),
and passed/graded per route: ``original`` runs count for skill-folder, ``compiled`` runs for
the route their compile chose (report.json ``binding``), ``no-skill`` runs as noSkill.
skvmc.targets.binding chooses the route for MODEL+HARNESS from this file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from skvmc.targets.jsonload import write_measurement


def measure(results: dict, source: str) -> dict:
    meta = results["meta"]
    graded = [r for r in results["records"] if r.get("status") in ("pass", "fail")]
    out: dict = {"model": meta["model"], "harness": meta["harness"], "source": source,
                 "date": meta.get("date", "")}
    original = [r for r in graded if r["condition"] == "original"]
    if original:
        out["skillLoading"] = {"loaded": sum(bool(r.get("skill_loaded")) for r in original),
                               "runs": len(original)}
    routes: dict[str, dict] = {}
    for r in graded:
        if r["condition"] == "original":
            route = "skill-folder"
        elif r["condition"] == "compiled":
            route = (r.get("binding") or {}).get("route", "skill-folder")
        else:
            continue
        cell = routes.setdefault(route, {"passed": 0, "graded": 0})
        cell["graded"] += 1
        cell["passed"] += r["status"] == "pass"
    if routes:
        out["routes"] = routes
    no_skill = [r for r in graded if r["condition"] == "no-skill"]
    if no_skill:
        out["noSkill"] = {"passed": sum(r["status"] == "pass" for r in no_skill),
                          "graded": len(no_skill)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="results.json of a --harness bench")
    ap.add_argument("-o", "--out", default="targets/bindings", help="output folder")
    args = ap.parse_args(argv)
    path = Path(args.results)
    results = json.loads(path.read_text(encoding="utf-8"))
    if not results.get("meta", {}).get("harness"):
        print(f"{path}: error: not the results of a --harness bench", file=sys.stderr)
        return 1
    rec = measure(results, str(path.parent))
    dest = write_measurement(args.out, rec)
    print(f"{dest}: {json.dumps({k: rec[k] for k in rec if k in ('skillLoading', 'routes')})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
