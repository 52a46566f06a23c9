"""extract-concurrency: find what may run at the same time and make it explicit.

For every region (module, section, step body) the sibling ops form a dependence graph
(:func:`skvmc.passes.analysis.dataflow.build_graph`): b stays after a when b reads what a
writes (RAW), writes what a reads (WAR) or writes the same path (WAW), when either has unknown
effects (no file it reads or writes), when b names no input (it may build on a's result), or
when b's wording ties it to what came before ("then", "using the result", "the output", "step 2").
Paragraphs, tables and other non-instruction ops are barriers. ``skill.ref`` operands are
shared read-only inputs and add no edge.

Rewrites (the ops are moved into the new regions, never copied). Only sound ones: see _group.
- a step worded "For each <collection>, ..." is wrapped in ``flow.foreach``; ``parallel`` is
  true when iterations share no output path and nothing accumulates (data-level);
- each maximal run of consecutive siblings with no edge between them becomes a
  ``flow.parallel`` with one ``flow.branch`` per op: kind "task" when a branch is a multi-step
  sub-task (a section, or a step with nested steps), "data" when every branch is a parallel
  foreach, otherwise "instruction" (independent tool calls, e.g. several reads).

Ops whose results other ops use are left in place (moving them would hide the value).
The critical path (in steps) and the regions found go to ``ExtractConcurrencyResult``
and to the module attribute ``concurrency``.
"""

from __future__ import annotations

import re

import attrs

from skvmc.dialects import flow
from skvmc.ir import Operation, Region
from skvmc.passes.analysis import dataflow
from skvmc.passes.results import ExtractConcurrencyResult
from skvmc.passmanager import Pass, PassContext, option
from skvmc.rewrite import Pattern, PatternSet, Rewrite, Site, walk_patterns

_FOREACH = re.compile(
    r"^\s*(?:for|across)\s+(?:each|every|all(?: the)?)\s+(?:of\s+the\s+)?"
    r"(?P<coll>[^,:;]{1,60}?)\s*[,:;]", re.I)
_ACCUMULATE = re.compile(r"\b(total|running|append|accumulat\w*|combine|merge|aggregate|across"
                         r"|overall|sum of|previous)\b", re.I)
_MULTI_STEP = ("skill.step", "skill.code", "skill.section", "flow.foreach", "flow.parallel")


def foreach_of(op: Operation):
    """``(collection, var)`` when ``op`` is a step worded "For each X, ...", else None."""
    if op.name != "skill.step":
        return None
    m = _FOREACH.match(op.attr("text", "").replace("`", ""))
    if not m:
        return None
    collection = m.group("coll").strip()
    noun = re.split(r"\s+(?:in|under|from|of|inside)\s+", collection, maxsplit=1)[0]
    var = re.sub(r"[^a-z0-9]+", "_", noun.lower()).strip("_") or "item"
    return collection, var


def _iterations_independent(op: Operation) -> bool:
    eff = dataflow.effects(op)
    fixed_writes = [w for w in eff.writes if not any(c in w for c in "*{<$")]
    return not fixed_writes and not eff.after_previous and not _ACCUMULATE.search(
        op.attr("text", ""))


def _is_multi_step(op: Operation) -> bool:
    if op.name == "skill.section":
        return True
    return op.name == "skill.step" and sum(o.name in _MULTI_STEP for o in op.body) >= 1 and any(
        o.name == "skill.step" for o in op.body)


_STATED = re.compile(
    r"\b(?:in parallel|concurrently|simultaneously|at the same time|independently|independent"
    r"|in any order|any order|one subagent per|a subagent (?:for|per) each|parallel)\b", re.I)
_NEGATED = re.compile(r"\b(?:not|never|don'?t|do not|no|avoid|instead of|rather than|without)\b"
                      r"[^.;:]{0,40}$", re.I)


def stated_independent(lead: Operation | None) -> bool:
    """Whether the text introducing a list says its items are independent ("These can run in
    parallel:", "Dispatch one subagent per ..."), and does not negate it."""
    if lead is None or lead.name not in ("skill.text", "skill.quote", "skill.step"):
        return False
    text = lead.attr("text", "")
    for m in _STATED.finditer(text):
        if not _NEGATED.search(text[:m.start()]):
            return True
    return False


def known_effects(op: Operation) -> bool:
    """Whether everything ``op`` touches is known: one instruction with facts (not derived
    from wording), named files only, nothing nested, no wording that ties it to before."""
    if op.name != "skill.step" or op.body:
        return False
    eff = dataflow.effects(op)
    return (eff.from_facts and not eff.opaque and not eff.after_previous and not eff.execs
            and not eff.outputs and not any(c in p for p in eff.reads | eff.writes
                                            for c in "*{<$"))


# Longer runs of list items are left in order (pairwise checks are quadratic in the run).
MAX_RUN = 200


def _conflict(a: dataflow.Effects, b: dataflow.Effects, stated: bool) -> bool:
    """Whether item b (after a, in one run) must stay after a. A stated run still keeps a
    real file dependence (b reads what a writes, or both write one path); an unstated one
    keeps every dependence, the unknown included."""
    reason = dataflow.dependence(a, b)
    if reason is None:
        return False
    return not stated or reason in ("raw", "waw", "war")


def _same_list(first: Operation, op: Operation) -> bool:
    if op.name == "flow.foreach":
        op = op.body[0]
    if first.name == "flow.foreach":
        first = first.body[0]
    return (op.name == first.name == "skill.step"
            and bool(op.attr("ordered")) == bool(first.attr("ordered")))


def _describe(op: Operation) -> dict:
    if op.name == "flow.foreach":
        return {"op": op.name, "kind": "data" if op.attr("parallel") else "loop",
                "loc": str(op.loc), "collection": op.attr("collection")}
    return {"op": op.name, "kind": op.attr("kind"), "loc": str(op.loc),
            "branches": len(op.body), "reason": op.attr("reason"),
            "evidence": op.attr("evidence")}


@attrs.frozen
class ExtractConcurrency(Pass):
    name = "extract-concurrency"
    summary = "Group independent steps into flow.parallel / flow.foreach regions"

    on_failure: str = option("cancel", "what a failing branch does to its siblings",
                             flow.ON_FAILURE)

    def apply(self, ctx: PassContext, module: Operation) -> Operation:
        used = {v.name for op in module.walk() for v in op.operands}
        found: list[dict] = []
        module = walk_patterns(module, self.patterns(used, found))
        # Counted over the result (not just this run), so a second run records the same.
        regions = [_describe(op) for op in module.walk() if op.name in ("flow.parallel",
                                                                        "flow.foreach")]
        summary = {
            "critical_path": dataflow.critical_path(module.body),
            "sequential_steps": dataflow.sequential_length(module.body),
            "parallel_regions": sum(r["op"] == "flow.parallel" for r in regions),
            "foreach": sum(r["op"] == "flow.foreach" for r in regions),
        }
        ctx.publish(ExtractConcurrencyResult(summary["critical_path"],
                                             summary["sequential_steps"], regions, len(found)))
        if module.attr("concurrency") != summary:
            module = module.with_attrs(concurrency=summary)
        return module

    # -- the patterns: bottom-up, a region's ops before the region --------------------------

    def patterns(self, used: set, found: list) -> PatternSet:
        def wrap_foreach(site: Site) -> Rewrite | None:
            op = site.op
            if site.parent is not None and site.parent.name == "flow.foreach":
                return None  # already wrapped (a second run)
            loop = foreach_of(op)
            if loop is None or any(r.name in used for r in op.results):
                return None
            parallel = _iterations_independent(op)
            op = flow.FOREACH.build(collection=loop[0], var=loop[1], parallel=parallel,
                                    regions=[Region((op,))], loc=op.loc)
            found.append({"op": "flow.foreach", "kind": "data" if parallel else "loop",
                          "loc": str(op.loc), "collection": loop[0]})
            return Rewrite((op,))

        def group(ops: tuple, parent: Operation) -> list[Operation]:
            return self._group(list(ops), parent.name, used, found, parent)

        return PatternSet(post=(Pattern("wrap-foreach", wrap_foreach, ("flow.foreach",)),),
                          region=(Pattern("group-parallel", group, ("flow.parallel",)),))

    def _group(self, ops: list, parent: str, used: set, found: list,
               parent_op: Operation | None = None) -> list[Operation]:
        """Parallel regions, only where they are sound: a run of sibling list items whose
        independence the text states (the lead-in says "in parallel", "independently", ...),
        or a run of unordered items whose reads and writes are all known and disjoint.
        Ordered procedures, sections, paragraphs and code stay in order: unknown means
        dependent."""
        out: list[Operation] = []
        i = 0
        while i < len(ops):
            run_end = i
            while (run_end < len(ops) and ops[run_end].name in ("skill.step", "flow.foreach")
                   and _same_list(ops[i], ops[run_end])):
                run_end += 1
            if run_end - i < 2:
                out.append(ops[i])
                i += 1
                continue
            run = ops[i:run_end]
            lead = ops[i - 1] if i > 0 else parent_op
            stated = stated_independent(lead)
            out.extend(self._split_run(run, stated, parent, used, found))
            i = run_end
        return out

    def _split_run(self, run, stated: bool, parent, used, found) -> list[Operation]:
        ordered = run[0].name == "skill.step" and bool(run[0].attr("ordered"))
        if (not stated and ordered) or len(run) > MAX_RUN:
            return list(run)
        effs = [dataflow.effects(op) for op in run]
        out, group = [], []

        def ok(j: int) -> bool:
            op = run[j]
            if any(r.name in used for o in op.walk() for r in o.results):
                return False
            return stated or known_effects(op)

        def flush():
            if len(group) >= 2:
                out.append(self._parallel([[run[k]] for k in group], parent, found,
                                          "stated" if stated else "disjoint"))
            else:
                out.extend(run[k] for k in group)
            group.clear()

        for j in range(len(run)):
            if not ok(j):
                flush()
                out.append(run[j])
                continue
            if group and any(_conflict(effs[k], effs[j], stated) for k in group):
                flush()
            group.append(j)
        flush()
        return out

    def _parallel(self, units: list, parent: str, found: list, evidence: str) -> Operation:
        members = [u[0] for u in units]
        if parent == "skill.step" or all(m.name == "skill.code" for m in members):
            kind = "instruction"
        elif all(m.name == "flow.foreach" and m.attr("parallel") for m in members):
            kind = "data"
        elif any(_is_multi_step(m) for m in members):
            kind = "task"
        else:
            kind = "instruction"
        parts = []
        for m in members:
            eff = dataflow.effects(m)
            io = f"writes {', '.join(sorted(eff.writes))}" if eff.writes else "read-only"
            parts.append(f"{dataflow._label(m)} ({io})")
        reason = ("the text says these are independent: " if evidence == "stated"
                  else "reads and writes known and disjoint: ") + "; ".join(parts)
        branches = [flow.BRANCH.build(regions=[Region(tuple(u))], loc=u[0].loc) for u in units]
        on_failure = None if self.on_failure == "cancel" else self.on_failure
        op = flow.PARALLEL.build(kind=kind, reason=reason, on_failure=on_failure, evidence=evidence,
                                 regions=[Region(tuple(branches))], loc=members[0].loc)
        found.append({"op": "flow.parallel", "kind": kind, "loc": str(op.loc),
                      "branches": len(members), "reason": reason, "evidence": evidence})
        return op
