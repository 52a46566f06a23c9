"""dead-step-elim: remove only what is provably dead; report the rest.

Removed (each reported with its source line, reason and the tokens it cost):
- an exact duplicate inside one run of sibling list items, or one run of paragraphs: the same
  text (whitespace aside) and the same nested content as an earlier member of the same run;
  the first is kept. A duplicate in another list, section or branch is not a duplicate: it may
  be the point of that branch. A duplicate with effects is kept too;
- a section marked ``drop`` by bind-harness: its heading names another product and nothing in
  it addresses the target (bind-harness decides that; this pass honours it);
- a section left empty by the removals above.

Reported, not removed: instructions conditional on another product inside a shared section
(``other_product`` facts), pleasantries ("Good luck!"), near-duplicates (same words up to case
and emphasis) anywhere.

Never removed: the frontmatter, ops whose results another op uses, sections that still have
content. Tokens are counted with ``skvmc.tokens.count_tokens`` over the op's Markdown as the
prompt backend emits it (``skvmc.markdown.render_ops``).
"""

from __future__ import annotations

import functools
import re

import attrs

from skvmc.ir import Operation
from skvmc.markdown import render_ops
from skvmc.memo import ByIdentity
from skvmc.passes.analysis import dataflow
from skvmc.passes.results import DeadStepElimResult
from skvmc.passmanager import Pass, PassContext
from skvmc.rewrite import Pattern, PatternSet, Rewrite, Site, walk_patterns
from skvmc.tokens import count_tokens, tokenizer_name

_NEVER = ("skill.frontmatter", "skill.ref", "builtin.module")
_DEDUP = ("skill.step", "skill.text", "skill.quote")
_PLEASANTRY = re.compile(
    r"^(good luck|have fun|happy (coding|hacking|building|writing|analy[sz]ing)|enjoy"
    r"|hope (this|that) helps|that'?s (it|all)|you'?re (all )?(done|set)|cheers|thanks?( you)?"
    r"|thank you for (reading|using this skill)|best of luck|good hunting)"
    r"( and (have fun|good luck|enjoy))?[\s!.:)]*$", re.I)


_MARKUP = re.compile(r"[*_`~]+")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    text = _MARKUP.sub("", text)
    text = _SPACES.sub(" ", text).strip().lower()
    return text.rstrip(" .!;:")


@functools.lru_cache(maxsize=8192)  # pure in its text: every target asks for the same texts
def is_pleasantry(text: str) -> bool:
    return bool(_PLEASANTRY.match(normalize(text) or "x"))


@functools.lru_cache(maxsize=16384)  # every target keys the same texts
def _squashed(text: str) -> str:
    return " ".join(text.split())


def _key(op: Operation):
    """Exact identity of a block: its text up to whitespace, and its nested content."""
    return (op.name, _squashed(op.attr("text", "")), op.attr("check"),
            tuple(print_key(o) for r in op.regions for o in r.ops))


def _print_key(op: Operation):
    return (op.name, _squashed(op.attr("text", "") or op.attr("body", "")),
            tuple(print_key(o) for r in op.regions for o in r.ops))


# per op object (the IR is immutable): a block's key holds the keys of everything nested in it,
# which every enclosing block and every later look-up would otherwise rebuild
print_key = ByIdentity(_print_key)


@attrs.frozen
class DeadStepElim(Pass):
    name = "dead-step-elim"
    summary = "Remove dropped, duplicate and pure-commentary instructions"

    def apply(self, ctx: PassContext, module: Operation) -> Operation:
        used = _Used({v.name for op in module.walk() for v in op.operands})
        removed: list[dict] = []
        reported: list[dict] = []
        new = walk_patterns(module, self.patterns(used, removed, reported))
        saved = sum(r["tokens"] for r in removed)
        ctx.publish(DeadStepElimResult(removed, reported, saved, tokenizer_name()))
        for r in removed:
            ctx.diags.note(f"dead-step-elim removed {r['op']}: {r['reason']} "
                           f"({r['tokens']} tokens)", r.pop("_loc"), code="dead-step-elim")
        for r in reported:
            r.pop("_loc")
        return new

    def patterns(self, used, removed, reported) -> PatternSet:
        """Before an op's regions: remove it when it is dead (its nested ops are then not
        visited). After them: remove a section they left empty, else keep the op (unmarked)
        as a member of the current run of same-kind siblings."""

        def dead(site: Site) -> Rewrite | None:
            op, state = site.op, site.state
            kind = _run_kind(op)
            if "run" not in state or kind != state["kind"]:
                state["run"], state["kind"] = {}, kind
            reason = self._reason(op, state["run"], used, reported)
            if reason is None:
                return None
            removed.append(_entry(op, reason))
            return Rewrite(())

        def keep(site: Site) -> Rewrite | None:
            op = site.op
            if (op.name in ("skill.section", "prompt.drop") and site.original.body
                    and not any(r.ops for r in op.regions)):
                removed.append(_entry(op, "section empty after removals"))
                return Rewrite(())
            if op.attr("drop") is not None and op.name != "prompt.drop":
                op = op.with_attrs(drop=None)  # decided: kept, unmarked
            if site.state["kind"] is not None:
                site.state["run"].setdefault(_key(op), op)
            return None if op is site.op else Rewrite((op,))

        return PatternSet(pre=(Pattern("remove-dead", dead),),
                          post=(Pattern("remove-emptied", keep),))

    def _reason(self, op: Operation, run: dict, used, reported) -> str | None:
        if op.name in _NEVER or used.defined_in(op):
            return None
        drop = op.attr("drop")
        if op.name in ("skill.section", "prompt.drop") and drop:
            return f"drop: {drop}"
        if op.name not in _DEDUP:
            return None
        if op.attr("other_product"):
            reported.append(_entry(op, f"conditional on {op.attr('other_product')}: kept"))
        first = run.get(_key(op))
        # effects only matter for a duplicate: most steps are not, and effects cost a dataflow scan
        if first is not None and not dataflow.effects(op).has_effects:
            return f"exact duplicate of line {first.loc.line} in the same list"
        if not op.body and is_pleasantry(op.attr("text", "")):
            reported.append(_entry(op, "pure commentary: kept"))
        return None


class _Used:
    """The value names some op uses, and whether an op (or anything nested in it) defines one
    of them: each op's answer is computed once from its children's (one bottom-up pass over
    what is asked), not by walking its subtree again at every enclosing level."""

    def __init__(self, names: set[str]):
        self.names = names
        self._memo: dict[int, tuple[Operation, bool]] = {}  # id -> (op, answer): op kept alive

    def defined_in(self, op: Operation) -> bool:
        hit = self._memo.get(id(op))
        if hit is not None and hit[0] is op:
            return hit[1]
        answer = (any(r.name in self.names for r in op.results)
                  or any(self.defined_in(o) for region in op.regions for o in region.ops))
        self._memo[id(op)] = (op, answer)
        return answer


def _run_kind(op: Operation):
    """Siblings form one run while they are the same kind of block (list items of one list,
    consecutive paragraphs); anything else in between ends the run."""
    if op.name == "skill.step":
        return ("step", bool(op.attr("ordered")), op.attr("marker", "-")[-1:])
    if op.name in ("skill.text", "skill.quote"):
        return ("para",)
    return None


def _entry(op: Operation, reason: str) -> dict:
    return {"op": op.name, "line": op.loc.line, "loc": str(op.loc), "_loc": op.loc,
            "reason": reason, "text": dataflow._label(op),
            # a prompt.drop renders as nothing: what it costs is the text it wraps
            "tokens": count_tokens(render_ops(op.body if op.name == "prompt.drop" else [op]))}
