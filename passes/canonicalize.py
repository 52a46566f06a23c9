"""canonicalize: put skill IR in its normal form, so later passes and diffs see one spelling.

Patterns (each preserves what the skill says):
- drop empty paragraphs and collapse consecutive thematic breaks;
- drop ``skill.ref`` values nothing uses any more (e.g. after dead-step elimination);
- renumber each run of ordered sibling steps consecutively from the run's first number
  (Markdown renders them so anyway: "1. 1. 1." shows as 1, 2, 3), keeping the delimiter.
"""

from __future__ import annotations

import attrs

from skvmc.ir import Operation
from skvmc.passmanager import Pass, PassContext
from skvmc.rewrite import apply_patterns


def drop_empty_text(op: Operation):
    if op.name == "skill.text" and not op.attr("text", "").strip() and not op.operands:
        return []
    return None


def collapse_rules(ops: tuple):
    out: list[Operation] = []
    for op in ops:
        if op.name == "skill.rule" and out and out[-1].name == "skill.rule":
            continue
        out.append(op)
    return out if len(out) != len(ops) else None


def renumber_ordered_steps(ops: tuple):
    out, number, changed = [], 0, False
    for op in ops:
        if op.name == "skill.step" and op.attr("ordered"):
            number = number + 1 if number else op.attr("number", 1)
            if op.attr("number") != number:
                delim = op.attr("marker", "1.")[-1]
                op = op.with_attrs(number=number, marker=f"{number}{delim}")
                changed = True
        elif op.name != "skill.step":
            number = 0
        out.append(op)
    return out if changed else None


def drop_unused_refs(module: Operation) -> Operation:
    used = {v.name for op in module.walk() for v in op.operands}
    body = [op for op in module.body
            if not (op.name == "skill.ref" and op.results[0].name not in used)]
    return module if len(body) == len(module.body) else module.with_ops(body)


@attrs.frozen
class Canonicalize(Pass):
    name = "canonicalize"
    summary = "Normalize skill IR: drop empty text and unused refs, renumber ordered steps"

    def apply(self, ctx: PassContext, module: Operation) -> Operation:
        module = apply_patterns(module, op_patterns=[drop_empty_text],
                                region_patterns=[collapse_rules, renumber_ordered_steps])
        return drop_unused_refs(module)
