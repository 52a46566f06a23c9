"""Summarise ``skvmc bench --harness`` results across harnesses: pass rate per condition
and harness, compiled minus original, and the spread of compiled pass rates.

  python bench/harness_summary.py bench/results/harness-pi bench/results/harness-opencode \
      -o bench/results/harness-summary

Writes summary.md and chart.png (one panel per condition, one bar per harness) into -o.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from skvmc.bench.png import PALETTE, bar_panels, write_png  # noqa: E402

CONDITIONS = ("no-skill", "original", "compiled")


def _cell(agg: dict | None) -> str:
    if not agg or not agg.get("graded"):
        return "n/a"
    return f"{agg['pass_rate']:.2f} ({agg['passed']}/{agg['graded']})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+", help="output folders of --harness benches")
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args(argv)
    rows = []
    for d in args.dirs:
        rep = json.loads((Path(d) / "results.json").read_text(encoding="utf-8"))
        rows.append((rep["meta"], rep["conditions"], rep["records"], Path(d).name))
    lines = ["# Compiled vs original skills inside real harnesses", "",
             "| harness | model | tasks | " + " | ".join(CONDITIONS)
             + " | compiled - original | skill loaded (original) | compiled route |",
             "|---|---|---|" + "---|" * (len(CONDITIONS) + 3)]
    compiled_rates = []
    for meta, conds, recs, name in rows:
        tasks = len({r["task"] for r in recs})
        orig, comp = conds.get("original"), conds.get("compiled")
        delta = (f"{comp['pass_rate'] - orig['pass_rate']:+.2f}"
                 if orig and comp and orig.get("graded") and comp.get("graded") else "n/a")
        loaded = [r for r in recs if r["condition"] == "original" and "skill_loaded" in r]
        routes = sorted({(r.get("binding") or {}).get("route", "?") for r in recs
                         if r["condition"] == "compiled"})
        if comp and comp.get("graded"):
            compiled_rates.append(comp["pass_rate"])
        lines.append(f"| [{meta.get('harness')}](../{name}/report.md) | {meta.get('model')} | "
                     f"{tasks} | " + " | ".join(_cell(conds.get(c)) for c in CONDITIONS)
                     + f" | {delta} | {sum(r['skill_loaded'] for r in loaded)}/{len(loaded)}"
                     f" | {', '.join(routes) or 'n/a'} |")
    if len(compiled_rates) >= 2:
        spread = (max(compiled_rates) - min(compiled_rates)) * 100
        lines += ["", f"Spread of compiled pass rates across harnesses: {spread:.0f} points."]
    lines += ["", "Commands: see each harness's report.md. Chart: one panel per condition "
              "(no-skill, original, compiled), one bar per harness in the order above.", "",
              "![pass rate per condition and harness](chart.png)", ""]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text("\n".join(lines), encoding="utf-8")
    panels = [[(conds.get(c) or {}).get("pass_rate") or 0.0 for _, conds, _, _ in rows]
              for c in CONDITIONS]
    panels = [p + [1.0] for p in panels]  # a full-scale bar fixes every panel at 0..1
    img = bar_panels(panels)
    for row in img:  # paint the scale bars grey so they read as the axis, not a harness
        for x, px in enumerate(row):
            if px == PALETTE[len(rows) % len(PALETTE)]:
                row[x] = (225, 225, 225)
    write_png(out / "chart.png", img)
    print(out / "summary.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
