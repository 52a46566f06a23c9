"""dead-step-elim: remove what cannot matter for the target.

Removed (each reported with its location, reason and the tokens it cost):
- ops carrying a ``drop`` attribute (the contract with bind-harness, which marks e.g.
  "If you are in Claude.ai ..." instructions ``drop = "other-product: ..."``);
- near-duplicate instructions: a step / paragraph / quote whose text equals an earlier
  sibling's after normalizing case, whitespace, Markdown emphasis and trailing punctuation
  (and whose nested content is equal too); the first is kept. A duplicate with effects (it
  writes, runs something or produces output) is kept: doing a thing twice may be the point;
- pure commentary: a step or paragraph that is only a pleasantry ("Good luck!", "Happy
  coding!") with no effects and nothing nested;
- a section left empty by the removals above (sections empty in the source are kept).

A kept op loses its ``drop`` mark (with a note), so the decision is made once.
Never removed: the frontmatter, ops whose results another op uses, a code block whose kept
parent step introduces it, sections that still have content. Tokens are counted with
``skvmc.tokens.count_tokens`` over the Markdown the removed ops would have rendered to.
"""

from __future__ import annotations

import re

import attrs

from skvmc.ir import Operation, Region
from skvmc.passes import dataflow
from skvmc.passmanager import Pass, PassContext
from skvmc.tokens import count_tokens, tokenizer_name

_NEVER = ("skill.frontmatter", "skill.ref", "builtin.module")
_DEDUP = ("skill.step", "skill.text", "skill.quote")
_PLEASANTRY = re.compile(
    r"^(good luck|have fun|happy (coding|hacking|building|writing|analy[sz]ing)|enjoy"
    r"|hope (this|that) helps|that'?s (it|all)|you'?re (all )?(done|set)|cheers|thanks?( you)?"
    r"|thank you for (reading|using this skill)|best of luck|good hunting)"
    r"( and (have fun|good luck|enjoy))?[\s!.:)]*$", re.I)


def normalize(text: str) -> str:
    text = re.sub(r"[*_`~]+", "", text)
    text = re.sub(r"\s+", " ", text).strip().lower()
    return text.rstrip(" .!;:")


def render_markdown(op: Operation, indent: str = "") -> str:
    """The Markdown an op stands for (close enough to count the tokens it costs)."""
    inner = "".join(render_markdown(o, indent + "   ") for r in op.regions for o in r.ops)
    if op.name == "skill.step":
        return f"{indent}{op.attr('marker', '-')} {op.attr('text', '')}\n" + inner
    if op.name == "skill.code":
        fence = op.attr("fence", "```")
        body = "".join(indent + line for line in op.attr("body", "").splitlines(True))
        return f"{indent}{fence}{op.attr('lang', '')}\n{body}{indent}{fence}\n"
    if op.name == "skill.section":
        return f"{'#' * op.attr('level', 1)} {op.attr('title', '')}\n\n" + inner
    if op.name == "skill.quote":
        return "".join(f"{indent}> {line}\n" for line in op.attr("text", "").splitlines())
    text = op.attr("text")
    return (f"{indent}{text}\n" if isinstance(text, str) else "") + inner


def _key(op: Operation):
    nested = tuple(print_key(o) for r in op.regions for o in r.ops)
    return (op.name, normalize(op.attr("text", "")), nested)


def print_key(op: Operation):
    return (op.name, normalize(op.attr("text", "") or op.attr("body", "")),
            tuple(print_key(o) for r in op.regions for o in r.ops))


def _introduces_code(step: Operation) -> bool:
    text = step.attr("text", "").rstrip()
    return text.endswith(":") or bool(re.search(r"\b(below|following|this (script|command))\b",
                                                text, re.I))


@attrs.frozen
class DeadStepElim(Pass):
    name = "dead-step-elim"
    summary = "Remove dropped, duplicate and pure-commentary instructions"

    def apply(self, ctx: PassContext, module: Operation) -> Operation:
        used = {v.name for op in module.walk() for v in op.operands}
        removed: list[dict] = []
        body = self._region(module.body, module, used, removed, ctx)
        saved = sum(r["tokens"] for r in removed)
        ctx.record(self.name, "removed", removed)
        ctx.record(self.name, "tokens_saved", saved)
        ctx.record(self.name, "tokenizer", tokenizer_name())
        for r in removed:
            ctx.diags.note(f"dead-step-elim removed {r['op']}: {r['reason']} "
                           f"({r['tokens']} tokens)", r["_loc"], code="dead-step-elim")
            del r["_loc"]
        return module.with_ops(body) if removed else module

    def _region(self, ops, parent: Operation, used, removed, ctx) -> list[Operation]:
        out: list[Operation] = []
        seen: dict = {}
        for op in ops:
            reason = self._reason(op, parent, seen, used, ctx)
            if reason is None and op.regions:
                new_regions = [Region(tuple(self._region(r.ops, op, used, removed, ctx)))
                               for r in op.regions]
                emptied = (op.name == "skill.section" and op.body
                           and not any(r.ops for r in new_regions))
                op = attrs.evolve(op, regions=tuple(new_regions)) if new_regions != list(
                    op.regions) else op
                if emptied:
                    reason = "section empty after removals"
            if reason is not None:
                removed.append({"op": op.name, "loc": str(op.loc), "_loc": op.loc,
                                "reason": reason, "text": dataflow._label(op),
                                "tokens": count_tokens(render_markdown(op))})
                continue
            if op.attr("drop") is not None:
                op = op.with_attrs(drop=None)  # decided (and noted): keep it, unmarked
            if op.name in _DEDUP:
                seen.setdefault(_key(op), op)
            out.append(op)
        return out

    def _reason(self, op: Operation, parent: Operation, seen: dict, used, ctx) -> str | None:
        if op.name in _NEVER or any(r.name in used for r in op.results):
            if op.attr("drop") is not None and op.name != "skill.ref":
                ctx.diags.note(f"kept {op.name} marked drop: it is required", op.loc,
                               code="dead-step-elim")
            return None
        inner_used = any(r.name in used for o in op.walk() if o is not op for r in o.results)
        if inner_used:
            return None
        drop = op.attr("drop")
        if drop is not None:
            if op.name == "skill.code" and parent.name == "skill.step" and parent.attr(
                    "drop") is None and _introduces_code(parent):
                return None  # the kept step points at this code block
            return f"drop: {drop}" if isinstance(drop, str) else "drop"
        if op.name not in _DEDUP:
            return None
        eff = dataflow.effects(op)
        if _key(op) in seen and not eff.has_effects:
            first = seen[_key(op)]
            return f"duplicate of line {first.loc.line}" if first.loc.line else "duplicate"
        if (not op.body and _PLEASANTRY.match(normalize(op.attr("text", "")) or "x")
                and not eff.has_effects):
            return "pure commentary"
        return None
