"""Bench report: results.json, report.md and chart.png from the per-run records."""

from __future__ import annotations

import json
from pathlib import Path

from skvmc.bench.png import PALETTE, bar_panels, write_png

METRICS = ("model_calls", "prompt_tokens", "completion_tokens", "wall_s")


def _agg(recs: list[dict]) -> dict:
    graded = [r for r in recs if r["status"] in ("pass", "fail")]
    out = {"runs": len(recs), "graded": len(graded),
           "passed": sum(r["status"] == "pass" for r in graded),
           "errors": sum(r["status"] == "error" for r in recs),
           "unavailable": sum(r["status"] == "unavailable" for r in recs)}
    out["pass_rate"] = round(out["passed"] / len(graded), 4) if graded else None
    for m in METRICS:
        out[m] = round(sum(r.get(m, 0) or 0 for r in graded), 3)
    out["tokens"] = out["prompt_tokens"] + out["completion_tokens"]
    out["warmup_tokens"] = sum((r.get("warmup") or {}).get("prompt_tokens", 0)
                               + (r.get("warmup") or {}).get("completion_tokens", 0)
                               for r in recs)
    picks = [r for r in recs if "picked_skill" in r]  # runs that chose among several skills
    out["picks"] = len(picks)
    out["picks_right"] = sum(r["picked_skill"] == r.get("intended_skill") for r in picks)
    return out


def build(records: list[dict], conditions: list[str], meta: dict) -> dict:
    tasks = sorted({r["task"] for r in records})
    per_cond = {c: _agg([r for r in records if r["condition"] == c]) for c in conditions}
    per_task = {t: {c: _agg([r for r in records if r["task"] == t and r["condition"] == c])
                    for c in conditions} for t in tasks}
    deltas = {}
    for i, a in enumerate(conditions):
        for b in conditions[i + 1:]:
            pa, pb = per_cond[a], per_cond[b]
            if pa["graded"] and pb["graded"]:
                deltas[f"{b} vs {a}"] = {
                    "pass_rate": round(pb["pass_rate"] - pa["pass_rate"], 4),
                    "tokens": pb["tokens"] - pa["tokens"],
                    "wall_s": round(pb["wall_s"] - pa["wall_s"], 3),
                    "model_calls": pb["model_calls"] - pa["model_calls"]}
    return {"meta": meta, "conditions": per_cond, "tasks": per_task, "deltas": deltas,
            "records": sorted(records, key=lambda r: r["key"])}


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def markdown(report: dict) -> str:
    meta, conds = report["meta"], list(report["conditions"])
    where = f" in {meta['harness']}" if meta.get("harness") else ""
    lines = [f"# skvmc bench: {meta.get('model')}{where} on {meta.get('tasks_dir')}", "",
             (f"- target: `{meta.get('target')}`; runs per task: {meta.get('runs')}; "
              f"finished runs: {meta.get('finished_runs')}/{meta.get('planned_runs')}; "
              f"date: {meta.get('date')}; wall time: {_fmt(meta.get('wall_s'))} s"),
             f"- command: `{meta.get('command')}`", "",
             "## Per condition", "",
             ("| condition | pass rate | passed/graded | tokens | model calls | agent wall s | "
              "unavailable | errors |"), "|---|---|---|---|---|---|---|---|"]
    for c in conds:
        a = report["conditions"][c]
        lines.append(f"| {c} | {_fmt(a['pass_rate'])} | {a['passed']}/{a['graded']} | "
                     f"{a['tokens']} | {a['model_calls']} | {_fmt(a['wall_s'])} | "
                     f"{a['unavailable']} | {a['errors']} |")
    if any(report["conditions"][c]["warmup_tokens"] for c in conds):
        lines += ["", "JIT warm-up runs (ungraded) used "
                  + ", ".join(f"{c}: {report['conditions'][c]['warmup_tokens']} tokens"
                              for c in conds if report["conditions"][c]["warmup_tokens"])]
    picked = [c for c in conds if report["conditions"][c].get("picks")]
    if picked:  # tasks that install several skills: did the model pick the intended one?
        lines += ["", "Skill picks on multi-skill tasks (intended/asked): "
                  + ", ".join(f"{c}: {report['conditions'][c]['picks_right']}/"
                              f"{report['conditions'][c]['picks']}" for c in picked)]
    lines += ["", "## Deltas", "", "| comparison | pass rate | tokens | wall s | model calls |",
              "|---|---|---|---|---|"]
    for k, d in report["deltas"].items():
        lines.append(f"| {k} | {d['pass_rate']:+.3f} | {d['tokens']:+d} | {d['wall_s']:+.1f} | "
                     f"{d['model_calls']:+d} |")
    lines += ["", "## Per task (pass/graded, tokens, calls)", "",
              "| task | " + " | ".join(conds) + " |", "|---|" + "---|" * len(conds)]
    for t, row in report["tasks"].items():
        cells = []
        for c in conds:
            a = row[c]
            cells.append("unavailable" if a["unavailable"] and not a["graded"] else
                         f"{a['passed']}/{a['graded']}, {a['tokens']} tok, "
                         f"{a['model_calls']} calls")
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    errs = [r for r in report["records"] if r["status"] in ("error", "unavailable")]
    if errs:
        lines += ["", "## Errors and unavailable runs", ""]
        lines += [f"- {r['key']}: {r['status']}: {r['error'][:200]}" for r in errs]
    colours = ", ".join(f"{c} = rgb{PALETTE[i % len(PALETTE)]}" for i, c in enumerate(conds))
    lines += ["", "## Chart", "", "![pass rate and tokens per condition](chart.png)", "",
              f"Left panel: pass rate; right panel: tokens. Bar colours: {colours}.", ""]
    return "\n".join(lines)


def chart(report: dict, path: Path) -> str:
    conds = list(report["conditions"])
    rates = [report["conditions"][c]["pass_rate"] for c in conds]
    tokens = [report["conditions"][c]["tokens"] for c in conds]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        write_png(path, bar_panels([[r or 0.0 for r in rates], [float(t) for t in tokens]]))
        return "builtin"
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.bar(conds, [r or 0 for r in rates])
    ax1.set_title("pass rate")
    ax1.set_ylim(0, 1)
    ax2.bar(conds, tokens)
    ax2.set_title("tokens")
    for ax in (ax1, ax2):
        ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return "matplotlib"


def write(report: dict, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "results.json", "markdown": out_dir / "report.md",
             "png": out_dir / "chart.png"}
    paths["json"].write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown(report), encoding="utf-8")
    chart(report, paths["png"])
    return paths
