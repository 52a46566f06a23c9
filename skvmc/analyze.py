"""``skvmc analyze ROOT [--target T] [-o DIR]``: the SkVM paper's corpus study on any tree of
skills. Definitions (what "needs", "covered", each skill kind, "workflow" and "embedded code"
mean) are in docs/analyze.md; this module implements exactly those.

Per skill (``study_skill``): parse, run the target-independent prefix of the default pipeline
(canonicalize, infer-capabilities) and read the ``requires`` facts; then lower against
``--target`` (bind-harness, dead-step-elim, lower-capabilities) and read its ``cap.gap`` ops.
Aggregates (``aggregate``) and the rendering of ``analysis.md`` and the PNG charts
(``render``) are pure functions of the JSON, so ``skvmc analyze --from-json analysis.json -o
DIR`` redraws every figure without the corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

from skvmc.exitcodes import EXIT_ERROR, EXIT_OK, EXIT_USAGE

DEFAULT_TARGET = "qwen-7b+openhands"
KINDS = ("tool-reference", "procedural", "generative")
PAPER = {"coverage_all": 0.95, "kinds": {"tool-reference": 0.52, "procedural": 0.28,
                                         "generative": 0.20},
         "workflow": 0.76, "embedded_code": 0.75}
PROCEDURE_MIN = 3  # ordered sibling steps that make a numbered procedure
_STAGE_TITLE = re.compile(r"^\s*(?:(?:step|phase|stage|part)\s*\d+|\d+[.)]?\s)", re.IGNORECASE)

# -------------------------------------------------------------------------------------------
# One skill


def _ordered_runs(ops) -> list[int]:
    """Lengths of the runs of ordered sibling steps in one region."""
    runs, n = [], 0
    for op in ops:
        if op.name == "skill.step" and op.attr("ordered"):
            n += 1
        else:
            if n:
                runs.append(n)
            n = 0
    if n:
        runs.append(n)
    return runs


def structure(module) -> dict:
    """Structural features of a module (before or after inference; facts are optional)."""
    feats = {"procedure_steps": 0, "ordered_runs": 0, "stage_sections": 0, "code_blocks": 0,
             "table_rows": 0, "list_items": 0, "codegen_ops": 0, "steps": 0}
    for op in module.walk():
        if op.regions:
            for region in op.regions:
                for length in _ordered_runs(region.ops):
                    feats["ordered_runs"] += length >= 2
                    feats["procedure_steps"] += length if length >= PROCEDURE_MIN else 0
        if op.name == "skill.section" and _STAGE_TITLE.match(op.attr("title", "")):
            feats["stage_sections"] += 1
        elif op.name == "skill.code":
            feats["code_blocks"] += 1
        elif op.name == "skill.table":
            feats["table_rows"] += len(op.attr("rows", ()))
        elif op.name == "skill.step":
            feats["steps"] += 1
            feats["list_items"] += not op.attr("ordered")
        if any(str(r["primitive"]).startswith("gen.code.") for r in op.attr("requires", ()) or ()):
            feats["codegen_ops"] += 1
    return feats


def kind_of(feats: dict) -> str:
    """The decision list of docs/analyze.md: generative, then procedural, else reference."""
    if feats["codegen_ops"] >= 2 and feats["codegen_ops"] >= feats["procedure_steps"]:
        return "generative"
    if feats["procedure_steps"] >= PROCEDURE_MIN:
        return "procedural"
    return "tool-reference"


def requirements(module) -> dict[str, int]:
    """primitive -> the highest level any op of the skill needs it at."""
    out: dict[str, int] = {}
    for op in module.walk():
        for r in op.attr("requires", ()) or ():
            p = str(r["primitive"])
            out[p] = max(out.get(p, 0), int(r["level"]))
    return out


def study_skill(item, _model=None) -> dict:
    """The record of one skill: ``item`` = (id, folder, target spec). Never raises."""
    from skvmc import compile as api
    from skvmc.diagnostics import CompileError, DiagnosticEngine
    from skvmc.frontend import UsageError
    from skvmc.passmanager import PassContext, PassManager
    from skvmc.targets import TargetError, effective_profile, parse_target

    sid, folder, target = item
    rec = {"skill": sid, "error": None}
    diags = DiagnosticEngine()
    options = api.CompileOptions()
    try:
        parsed = api.parse(folder, diags)
        passes = api.target_passes(target, options, diags)
        prefix, rest = api.split_at_target(passes)
        prepared = api.prepare(parsed, prefix, options, diags)
    except (CompileError, UsageError) as err:
        first = next((d for d in diags.diagnostics if d.severity == "error"), None)
        rec["error"] = api.short(first) if first else str(err)
        return rec
    module = prepared.module
    feats = structure(module)
    reqs = requirements(module)
    rec.update(requires=dict(sorted(reqs.items())), features=feats, kind=kind_of(feats),
               workflow=feats["ordered_runs"] > 0 or feats["stage_sections"] >= 2,
               embedded_code=feats["code_blocks"] > 0)
    # against the target: requirements above the profile, and what lowering left as gaps
    try:
        profile = effective_profile(parse_target(target))
        rec["over_profile"] = sorted(p for p, lvl in reqs.items() if not profile.allows(p, lvl))
        upto = [p for p in rest[: next((i + 1 for i, p in enumerate(rest)
                                        if p.name == "lower-capabilities"), 0)]]
        lowered = PassManager(upto).run(module, PassContext(diags=DiagnosticEngine()))
        gaps: dict[str, int] = {}
        for op in lowered.walk():
            if op.name == "cap.gap":
                gaps[op.attr("primitive")] = gaps.get(op.attr("primitive"), 0) + 1
        rec["gaps"] = dict(sorted(gaps.items()))
    except (CompileError, TargetError, ValueError) as err:
        rec["gaps"], rec["over_profile"] = {}, []
        rec["gap_error"] = str(err)
    return rec


# -------------------------------------------------------------------------------------------
# The corpus


def _share(n: int, total: int) -> float:
    return round(n / total, 4) if total else 0.0


def aggregate(records: list[dict], target: str, primitives: list[str]) -> dict:
    """Every number of analysis.md from the per-skill records (pure)."""
    ok = [r for r in records if not r.get("error")]
    n = len(ok)
    need = {p: sum(p in r["requires"] for r in ok) for p in primitives}
    levels = {p: {f"L{lvl}": sum(r["requires"].get(p) == lvl for r in ok) for lvl in (1, 2, 3)}
              for p in primitives}
    ranked = sorted(primitives, key=lambda p: (-need[p], primitives.index(p)))
    coverage = []
    for k in range(1, len(ranked) + 1):
        top = set(ranked[:k])
        covered = sum(bool(r["requires"]) and set(r["requires"]) <= top for r in ok)
        coverage.append({"k": k, "added": ranked[k - 1], "covered": covered,
                         "share": _share(covered, n)})
    kinds = {k: sum(r["kind"] == k for r in ok) for k in KINDS}
    gaps = {p: sum(p in r.get("gaps", {}) for r in ok) for p in primitives}
    over = {p: sum(p in r.get("over_profile", ()) for r in ok) for p in primitives}
    top_gaps = sorted((p for p in primitives if gaps[p] or over[p]),
                      key=lambda p: (-gaps[p], -over[p], primitives.index(p)))
    return {
        "skills": len(records), "analyzed": n, "failed": len(records) - n, "target": target,
        "paper": PAPER,
        "needs": {p: {"skills": need[p], "share": _share(need[p], n),
                      "levels": {k: {"skills": v, "share": _share(v, n)}
                                 for k, v in levels[p].items()}} for p in primitives},
        "no_requirement": sum(not r["requires"] for r in ok),
        "coverage": coverage,
        "coverage_all": coverage[-1]["share"] if coverage else 0.0,
        "kinds": {k: {"skills": v, "share": _share(v, n)} for k, v in kinds.items()},
        "workflow": {"skills": sum(r["workflow"] for r in ok),
                     "share": _share(sum(r["workflow"] for r in ok), n)},
        "embedded_code": {"skills": sum(r["embedded_code"] for r in ok),
                          "share": _share(sum(r["embedded_code"] for r in ok), n)},
        "gaps": [{"primitive": p, "skills_with_gap": gaps[p], "share": _share(gaps[p], n),
                  "skills_over_profile": over[p], "share_over_profile": _share(over[p], n)}
                 for p in top_gaps],
    }


def analyze(root: str, target: str = DEFAULT_TARGET, jobs: int = 1) -> dict:
    """analysis.json's content for the skills under ``root``."""
    from skvmc import matrix
    from skvmc.corpus import find_skills, skill_id
    from skvmc.targets import primitive_ids

    folders = find_skills(root)
    items = [(skill_id(root, f), f, target) for f in folders]
    got: dict[str, dict] = {}
    matrix.run_matrix(items, study_skill, _no_model, on_done=lambda r: got.__setitem__(
        r["skill"], r), executor="process" if jobs > 1 else "local", concurrency=jobs)
    records = [got[sid] for sid, _, _ in items]
    data = aggregate(records, target, list(primitive_ids()))
    data["root"] = os.path.abspath(root)
    data["records"] = records
    return data


def _no_model():
    return None


# -------------------------------------------------------------------------------------------
# Rendering (from the JSON alone)

FIGURES = ("primitives.png", "levels.png", "coverage.png", "kinds.png", "structure.png",
           "gaps.png")


def _by_need(data: dict) -> list[str]:
    """Primitives by share of skills needing them, then by name (stable across JSON dumps)."""
    return sorted(data["needs"], key=lambda p: (-data["needs"][p]["share"], p))


def figures(data: dict) -> dict[str, list[list[float]]]:
    """Each chart's bar panels (values 0..1), in the order of the tables in analysis.md."""
    ranked = _by_need(data)
    return {
        "primitives.png": [[data["needs"][p]["share"] for p in ranked]],
        "levels.png": [[data["needs"][p]["levels"][lvl]["share"] for p in ranked]
                       for lvl in ("L1", "L2", "L3")],
        "coverage.png": [[c["share"] for c in data["coverage"]]],
        "kinds.png": [[data["kinds"][k]["share"] for k in KINDS],
                      [data["paper"]["kinds"][k] for k in KINDS]],
        "structure.png": [[data["workflow"]["share"], data["embedded_code"]["share"]],
                          [data["paper"]["workflow"], data["paper"]["embedded_code"]]],
        "gaps.png": [[g["share"] for g in data["gaps"][:10]],
                     [g["share_over_profile"] for g in data["gaps"][:10]]],
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def markdown(data: dict) -> str:
    n = data["analyzed"]
    lines = [f"# Corpus study: {n} skills", "",
             (f"Root `{data.get('root', '?')}`; {data['failed']} skill(s) failed to parse. "
             "Definitions: docs/analyze.md. Charts: the PNG files beside this one "
             "(bars in the order of the tables)."), "",
             "| measure | here | SkVM paper |", "|---|---|---|",
             (f"| covered by the 26 primitives | {_pct(data['coverage_all'])} | "
             f"{_pct(data['paper']['coverage_all'])} |")]
    for k in KINDS:
        lines.append(f"| kind: {k} | {_pct(data['kinds'][k]['share'])} | "
                     f"{_pct(data['paper']['kinds'][k])} |")
    lines += [(f"| workflow structure | {_pct(data['workflow']['share'])} | "
              f"{_pct(data['paper']['workflow'])} |"),
              (f"| embedded code | {_pct(data['embedded_code']['share'])} | "
              f"{_pct(data['paper']['embedded_code'])} |"), "",
              "## Primitives needed (primitives.png, levels.png)", "",
              "| primitive | skills | share | L1 | L2 | L3 |", "|---|---|---|---|---|---|"]
    for p in _by_need(data):
        v = data["needs"][p]
        lv = v["levels"]
        lines.append(f"| `{p}` | {v['skills']} | {_pct(v['share'])} | "
                     f"{_pct(lv['L1']['share'])} | {_pct(lv['L2']['share'])} | "
                     f"{_pct(lv['L3']['share'])} |")
    lines += ["", f"Skills with no inferred requirement: {data['no_requirement']}.", "",
              "## Coverage by the k most needed primitives (coverage.png)", "",
              "| k | adds | skills covered | share |", "|---|---|---|---|"]
    lines += [f"| {c['k']} | `{c['added']}` | {c['covered']} | {_pct(c['share'])} |"
              for c in data["coverage"]]
    lines += ["", f"## Most common gaps on `{data['target']}` (gaps.png)", "",
              "| primitive | skills with a cap.gap | share | needs more than the profile | share |",
              "|---|---|---|---|---|"]
    lines += [f"| `{g['primitive']}` | {g['skills_with_gap']} | {_pct(g['share'])} | "
              f"{g['skills_over_profile']} | {_pct(g['share_over_profile'])} |"
              for g in data["gaps"][:10]]
    return "\n".join(lines) + "\n"


def render(data: dict, out_dir: str) -> list[str]:
    """Write analysis.md and the PNG charts from the JSON alone; returns the paths."""
    from skvmc.bench.png import bar_panels, write_png
    from skvmc.fsutil import atomic_write_text

    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, "analysis.md")]
    atomic_write_text(paths[0], markdown(data))
    for name, panels in figures(data).items():
        path = os.path.join(out_dir, name)
        write_png(path, bar_panels([p or [0.0] for p in panels]))
        paths.append(path)
    return paths


# -------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str]) -> int:
    from skvmc.fsutil import atomic_write_text

    p = argparse.ArgumentParser(prog="skvmc analyze", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root", nargs="?", metavar="ROOT", help="folder tree of skills")
    p.add_argument("--target", "-t", default=DEFAULT_TARGET,
                   help=f"target for the gap study (default {DEFAULT_TARGET})")
    p.add_argument("-o", "--output", default="analysis", metavar="DIR",
                   help="output folder (default ./analysis)")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="worker processes")
    p.add_argument("--from-json", metavar="FILE",
                   help="redraw analysis.md and the charts from an analysis.json")
    args = p.parse_args(argv)
    if args.from_json:
        try:
            with open(args.from_json, encoding="utf-8") as fh:
                data = json.load(fh)
            render(data, args.output)
        except OSError as err:
            print(f"skvmc analyze: error: {err}", file=sys.stderr)
            return EXIT_USAGE
        except (ValueError, KeyError, TypeError) as err:
            print(f"{args.from_json}: error: not an analysis.json ({err!r})", file=sys.stderr)
            return EXIT_ERROR
        return EXIT_OK
    if not args.root:
        p.print_usage(sys.stderr)
        print("skvmc analyze: error: give ROOT or --from-json FILE", file=sys.stderr)
        return EXIT_USAGE
    if not os.path.isdir(args.root):
        print(f"skvmc analyze: error: no such folder: {args.root}", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs < 1:
        print("skvmc analyze: error: -j needs a number >= 1", file=sys.stderr)
        return EXIT_USAGE
    from skvmc.driver import parse_targets

    bad = parse_targets(args.target)
    if isinstance(bad, str):
        print(f"skvmc analyze: error: {bad}", file=sys.stderr)
        return EXIT_USAGE
    data = analyze(args.root, args.target, args.jobs)
    if not data["skills"]:
        print(f"skvmc analyze: error: no SKILL.md under {args.root}", file=sys.stderr)
        return EXIT_USAGE
    os.makedirs(args.output, exist_ok=True)
    atomic_write_text(os.path.join(args.output, "analysis.json"),
                      json.dumps(data, indent=1, sort_keys=True) + "\n")
    render(data, args.output)
    for r in data["records"]:
        if r.get("error"):
            print(f"{r['error']} (skill {r['skill']})", file=sys.stderr)
    print(f"{data['analyzed']} skills analyzed ({data['failed']} failed): covered "
          f"{_pct(data['coverage_all'])}, workflow {_pct(data['workflow']['share'])}, "
          f"code {_pct(data['embedded_code']['share'])} -> {args.output}/analysis.md")
    return EXIT_OK
