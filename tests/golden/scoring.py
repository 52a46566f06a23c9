"""Precision and recall of the compiler's analyses against the hand labels in this folder.

Each ``*.jsonl`` holds labels on real skills of ``../shared/corpus`` (line numbers and a verbatim
piece of the line, so a stale label is caught). ``score_all()`` compiles each labelled skill
once with the default pipeline and compares:

- requirements: (step, primitive) from the ``requires`` fact (levels compared separately);
- tool actions: (step, action kind) from the ``actions`` fact (what tool notes are made of);
- dependencies: step pairs predicted independent = in different branches of one
  ``flow.parallel`` (what a parallel hint says);
- env deps: (manager, name) of ``env.dep`` ops, over the skills labelled exhaustively.

Used by ``test_precision.py`` (floors) and ``bench/golden_report.py`` (the table).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import attrs

GOLDEN = Path(__file__).resolve().parent
TARGET = "qwen-7b+openhands"
TEXT_OPS = ("skill.step", "skill.text", "skill.quote", "skill.code")


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (GOLDEN / name).read_text().splitlines() if line.strip()]


def meta() -> dict:
    return json.loads((GOLDEN / "meta.json").read_text())


@attrs.frozen
class Score:
    analysis: str
    tp: int
    fp: int
    fn: int
    predicted: int
    labels: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@functools.cache
def compiled_module(corpus: Path, skill: str):
    from skvmc.diagnostics import DiagnosticEngine
    from skvmc.frontend import parse_skill
    from skvmc.passes import default_pipeline
    from skvmc.passmanager import PassContext, PassManager, parse_pipeline

    diags = DiagnosticEngine()
    module = parse_skill(str(corpus / skill), diags)
    passes = parse_pipeline(default_pipeline(TARGET), diags)
    ctx = PassContext(diags=diags, options={"skill_path": str(corpus / skill)})
    return PassManager(passes).run(module, ctx)


def ops_at(module, line: int) -> list:
    return [op for op in module.walk() if op.name in TEXT_OPS and op.loc.line == line]


def _own_and_code(op) -> list:
    """A step with the fences nested in it: what the step tells the agent to do."""
    return [op] + [o for r in op.regions for o in r.ops if o.name == "skill.code"]


def score_requirements(corpus: Path) -> tuple[Score, float]:
    tp = fp = fn = predicted = labels = 0
    level_hits = level_total = 0
    for lab in load("requirements.jsonl"):
        module = compiled_module(corpus, lab["skill"])
        gold = {r["primitive"]: int(r["level"][1]) for r in lab["requires"]}
        got: dict[str, int] = {}
        for op in ops_at(module, lab["line"]):
            for o in _own_and_code(op):
                for r in o.attr("requires") or ():
                    got[r["primitive"]] = max(got.get(r["primitive"], 0), r["level"])
        predicted += len(got)
        labels += len(gold)
        tp += len(set(got) & set(gold))
        fp += len(set(got) - set(gold))
        fn += len(set(gold) - set(got))
        for p in set(got) & set(gold):
            level_total += 1
            level_hits += got[p] == gold[p]
    level_acc = level_hits / level_total if level_total else 1.0
    return Score("requirements", tp, fp, fn, predicted, labels), level_acc


def _score_sets(analysis: str, pairs) -> Score:
    """A Score over (predicted set, gold set) pairs."""
    tp = fp = fn = predicted = labels = 0
    for got, gold in pairs:
        predicted += len(got)
        labels += len(gold)
        tp += len(got & gold)
        fp += len(got - gold)
        fn += len(gold - got)
    return Score(analysis, tp, fp, fn, predicted, labels)


def score_tool_actions(corpus: Path) -> Score:
    def pairs():
        for lab in load("tool_actions.jsonl"):
            module = compiled_module(corpus, lab["skill"])
            got = {a["kind"] for op in ops_at(module, lab["line"]) if op.name != "skill.code"
                   for a in op.attr("actions") or ()}
            yield got, {a["action"] for a in lab["actions"]}
    return _score_sets("tool-actions", pairs())


def _branch_of(module, line: int):
    """(id of the flow.parallel, index of the branch) holding the op at ``line``, or None."""
    def walk(op, where):
        if op.name == "flow.parallel":
            for i, branch in enumerate(op.body):
                for inner in branch.walk():
                    if inner.loc.line == line and inner.name in TEXT_OPS:
                        return (id(op), i)
        for r in op.regions:
            for o in r.ops:
                found = walk(o, where)
                if found:
                    return found
        return None
    return walk(module, None)


def score_dependencies(corpus: Path) -> Score:
    """Positive class: independent (what a parallel hint claims)."""
    tp = fp = fn = predicted = labels = 0
    for lab in load("dependencies.jsonl"):
        module = compiled_module(corpus, lab["skill"])
        a, b = _branch_of(module, lab["line_a"]), _branch_of(module, lab["line_b"])
        independent = a is not None and b is not None and a[0] == b[0] and a[1] != b[1]
        gold = not lab["dependent"]
        predicted += independent
        labels += gold
        tp += independent and gold
        fp += independent and not gold
        fn += gold and not independent
    return Score("dependencies", tp, fp, fn, predicted, labels)


def score_env_deps(corpus: Path) -> Score:
    labels_all = load("env_deps.jsonl")

    def pairs():
        for skill in sorted(set(meta()["env_deps_exhaustive"])):
            module = compiled_module(corpus, skill)
            got = {(op.attr("manager"), op.attr("name").lower()) for op in module.walk()
                   if op.name == "env.dep" and op.attr("manager") in ("system", "pip", "npm")}
            yield got, {(x["manager"], x["name"].lower()) for x in labels_all
                        if x["skill"] == skill and x["real"]}
    return _score_sets("env-deps", pairs())


def score_all(corpus: Path) -> dict[str, Score]:
    req, _ = score_requirements(corpus)
    return {s.analysis: s for s in (req, score_tool_actions(corpus),
                                    score_dependencies(corpus), score_env_deps(corpus))}


def table(scores: dict[str, Score], level_accuracy: float | None = None) -> str:
    rows = ["| analysis | labels | predicted | TP | FP | FN | precision | recall |",
            "|---|---|---|---|---|---|---|---|"]
    for s in scores.values():
        rows.append(f"| {s.analysis} | {s.labels} | {s.predicted} | {s.tp} | {s.fp} | {s.fn} "
                    f"| {s.precision:.3f} | {s.recall:.3f} |")
    if level_accuracy is not None:
        rows.append(f"\nrequirement level agreement (where the primitive matches): "
                    f"{level_accuracy:.3f}")
    return "\n".join(rows) + "\n"
