"""extract-concurrency: find what may run at the same time and make it explicit.

For every region (module, section, step body) the sibling ops form a dependence graph
(:func:`skvmc.passes.dataflow.build_graph`): b stays after a when b reads what a writes (RAW),
writes what a reads (WAR) or writes the same path (WAW), when either has unknown effects (no
file it reads or writes), when b names no input (it may build on a's result), or when b's
wording ties it to what came before ("then", "using the result", "the output", "step 2").
Paragraphs, tables and other non-instruction ops are barriers. ``skill.ref`` operands are
shared read-only inputs and add no edge.

Rewrites (the ops are moved into the new regions, never copied):
- a step worded "For each <collection>, ..." is wrapped in ``flow.foreach``; ``parallel`` is
  true when iterations share no output path and nothing accumulates (data-level);
- each maximal run of consecutive siblings with no edge between them becomes a
  ``flow.parallel`` with one ``flow.branch`` per op: kind "task" when a branch is a multi-step
  sub-task (a section, or a step with nested steps), "data" when every branch is a parallel
  foreach, otherwise "instruction" (independent tool calls, e.g. several reads).

Ops whose results other ops use are left in place (moving them would hide the value).
The critical path (in steps) and the regions found go to ``ctx.report['extract-concurrency']``
and to the module attribute ``concurrency``.
"""

from __future__ import annotations

import re

import attrs

from skvmc.dialects import flow
from skvmc.ir import Operation, Region
from skvmc.passes import dataflow
from skvmc.passmanager import Pass, PassContext

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


def _describe(op: Operation) -> dict:
    if op.name == "flow.foreach":
        return {"op": op.name, "kind": "data" if op.attr("parallel") else "loop",
                "loc": str(op.loc), "collection": op.attr("collection")}
    return {"op": op.name, "kind": op.attr("kind"), "loc": str(op.loc),
            "branches": len(op.body), "reason": op.attr("reason")}


@attrs.frozen
class ExtractConcurrency(Pass):
    name = "extract-concurrency"
    summary = "Group independent steps into flow.parallel / flow.foreach regions"

    on_failure: str = attrs.field(default="cancel", metadata={
        "help": "what a failing branch does to its siblings", "choices": flow.ON_FAILURE})

    def apply(self, ctx: PassContext, module: Operation) -> Operation:
        used = {v.name for op in module.walk() for v in op.operands}
        found: list[dict] = []
        body = self._region(module.body, module.name, used, found)
        module = module.with_ops(body) if tuple(body) != module.body else module
        # Counted over the result (not just this run), so a second run records the same.
        regions = [_describe(op) for op in module.walk() if op.name in ("flow.parallel",
                                                                        "flow.foreach")]
        summary = {
            "critical_path": dataflow.critical_path(module.body),
            "sequential_steps": dataflow.sequential_length(module.body),
            "parallel_regions": sum(r["op"] == "flow.parallel" for r in regions),
            "foreach": sum(r["op"] == "flow.foreach" for r in regions),
        }
        ctx.record(self.name, "critical_path", summary["critical_path"])
        ctx.record(self.name, "sequential_steps", summary["sequential_steps"])
        ctx.record(self.name, "regions", regions)
        ctx.record(self.name, "new_regions", len(found))
        if module.attr("concurrency") != summary:
            module = module.with_attrs(concurrency=summary)
        return module

    # -- one region, bottom-up -------------------------------------------------------------

    def _region(self, ops: tuple, parent: str, used: set, found: list) -> list[Operation]:
        out = []
        for op in ops:
            op = self._nested(op, used, found)
            loop = foreach_of(op) if parent != "flow.foreach" else None
            if loop is not None and not any(r.name in used for r in op.results):
                parallel = _iterations_independent(op)
                op = flow.FOREACH.build(collection=loop[0], var=loop[1], parallel=parallel,
                                        regions=[Region((op,))], loc=op.loc)
                found.append({"op": "flow.foreach", "kind": "data" if parallel else "loop",
                              "loc": str(op.loc), "collection": loop[0]})
            out.append(op)
        return self._group(out, parent, used, found)

    def _nested(self, op: Operation, used: set, found: list) -> Operation:
        if not op.regions:
            return op
        regions = []
        for region in op.regions:
            new = self._region(region.ops, op.name, used, found)
            regions.append(region if tuple(new) == region.ops else Region(tuple(new)))
        return attrs.evolve(op, regions=tuple(regions)) if regions != list(op.regions) else op

    def _group(self, ops: list, parent: str, used: set, found: list) -> list[Operation]:
        # A cap.gap annotates the instruction before it (what it could not legalize), so it
        # travels with that instruction instead of fencing its neighbours off.
        units: list[list[Operation]] = []
        for op in ops:
            if op.name == "cap.gap" and units:
                units[-1].append(op)
            else:
                units.append([op])
        if len(units) < 2:
            return ops
        leads = [u[0] for u in units]
        g = dataflow.build_graph(leads)
        movable = [dataflow.is_schedulable(op) and not any(r.name in used for r in op.results)
                   for op in leads]
        out, run = [], []
        run_bits = 0  # the run as a bitset, to test it against a node's ancestors at once

        def flush():
            nonlocal run_bits
            if len(run) >= 2:
                out.append(self._parallel([units[i] for i in run], parent, found))
            else:
                out.extend(op for i in run for op in units[i])
            run.clear()
            run_bits = 0

        for j, unit in enumerate(units):
            if not movable[j]:
                flush()
                out.extend(unit)
                continue
            if run and dataflow.precedes_any(g, run_bits, j):
                flush()
            run.append(j)
            run_bits |= 1 << j
        flush()
        return out

    def _parallel(self, units: list, parent: str, found: list) -> Operation:
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
        reason = "no shared writes: " + "; ".join(parts)
        branches = [flow.BRANCH.build(regions=[Region(tuple(u))], loc=u[0].loc) for u in units]
        on_failure = None if self.on_failure == "cancel" else self.on_failure
        op = flow.PARALLEL.build(kind=kind, reason=reason, on_failure=on_failure,
                                 regions=[Region(tuple(branches))], loc=members[0].loc)
        found.append({"op": "flow.parallel", "kind": kind, "loc": str(op.loc),
                      "branches": len(members), "reason": reason})
        return op
