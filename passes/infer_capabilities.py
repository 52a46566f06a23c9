"""infer-capabilities: attach what each instruction needs from the model+harness.

For every instruction-bearing op (``skill.step``, ``skill.code``, and ``skill.text`` /
``skill.quote`` paragraphs that instruct) the pass sets the fact attributes of the cap dialect:
``requires`` (primitive, level, evidence), ``actions``, ``reads`` and ``writes``. The rules are
in ``capability_rules``; this module is one pattern (``annotate``) over the rewrite driver,
the merge of findings, and the report. Deterministic:
no model, findings in source order, requirements in catalogue order.

A run of three or more ordered sibling steps is a procedure: its planning requirements
(reason.planning, follow.procedure) go on the run's first step.
"""

from __future__ import annotations

import re
import sys

import attrs

from skvmc.dialects import skill
from skvmc.ir import Operation, freeze
from skvmc.passes.analysis import capability_rules as rules
from skvmc.passes.results import InferCapabilitiesResult
from skvmc.passmanager import Pass, PassContext
from skvmc.rewrite import Pattern, PatternSet, Rewrite, Site, walk_patterns

FACT_KEYS = ("requires", "actions", "reads", "writes")


def primitive_order(primitive_ids) -> dict[str, int]:
    return {p: i for i, p in enumerate(primitive_ids)}


def merge(findings: list[rules.Finding], order: dict[str, int]) -> dict:
    """Findings -> fact attributes: max level per primitive, evidence in detection order."""
    reqs: dict[str, dict] = {}
    actions, reads, writes = [], [], []
    for f in findings:
        if f.kind == "req":
            r = reqs.setdefault(f.primitive, {"primitive": f.primitive, "level": 0, "evidence": []})
            r["level"] = max(r["level"], f.level)
            if f.evidence not in r["evidence"]:
                r["evidence"].append(f.evidence)
        elif f.kind == "action":
            a = {"kind": f.action, "target": f.target}
            if a not in actions:
                actions.append(a)
        elif f.kind == "read" and f.target not in reads:
            reads.append(f.target)
        elif f.kind == "write" and f.target not in writes:
            writes.append(f.target)
    tools = [a for a in actions if a["kind"] in ("read", "write", "edit", "fetch", "browser")]
    if len(tools) >= 2:
        level = 2 if len(tools) >= 5 else 1
        evidence = (f"{len(tools)} independent tool calls "
                    f"({', '.join(a['kind'] + ' ' + a['target'] for a in tools)})")
        reqs["tool.call.batch"] = {"primitive": "tool.call.batch", "level": level,
                                   "evidence": [f"{evidence} -> tool.call.batch L{level}"]}
    ordered = sorted(reqs.values(), key=lambda r: (order.get(r["primitive"], 99), r["primitive"]))
    return {"requires": ordered, "actions": actions, "reads": reads, "writes": writes}


def _example_findings(ops) -> list[rules.Finding]:
    out = []
    for op in ops:
        if op.name == "skill.code" and skill.fence_kind(op.attr("lang")) == skill.STRUCTURED:
            out += rules.structured_example(op.attr("lang").lower().replace("yml", "yaml"),
                                            op.attr("body", ""))
    return out


def _op_findings(op: Operation, next_op: Operation | None) -> list[rules.Finding] | None:
    """Findings for one op, or None when it is not instruction-bearing."""
    if op.name == "skill.step":
        found = rules.analyze_prose(op.attr("text", "")) + _example_findings(op.body)
        fence = next((o for o in op.body if o.name == "skill.code"), None)
        return found + _introduced_run(op.attr("text", ""), fence)
    if op.name == "skill.code":
        return rules.analyze_code(op.attr("lang", ""), op.attr("body", ""))
    if op.name in ("skill.text", "skill.quote"):
        text = op.attr("text", "")
        if not rules.is_imperative(text):
            return None
        found = rules.analyze_prose(text) + _introduced_run(text, next_op)
        if next_op is not None and any(f.primitive == "gen.text.structured" for f in found):
            found += _example_findings([next_op])
        return found
    return None


def _introduced_run(text: str, fence: Operation | None) -> list[rules.Finding]:
    """An instruction that introduces a shell fence ("Commit and push:", "Run all four checks
    before deciding:") tells the agent to run it: an exec action on its first command. A
    fence after a sentence that forbids or merely shows ("for example:") is not run."""
    if fence is None or fence.name != "skill.code" or not text.rstrip(" *_").endswith(":"):
        return []
    if skill.fence_kind(fence.attr("lang")) != skill.SHELL:
        return []
    if rules.negated(text, len(text)) or re.search(r"\b(e\.g\.|example|like this|such as|"
                                                   r"output|looks like|prints?)\b", text, re.I):
        return []
    first = next((ln.strip() for ln in fence.attr("body", "").splitlines()
                  if ln.strip() and not ln.lstrip().startswith("#")), "")
    return [rules.act("exec", first[:60])] if first else []


def _procedure_runs(ops) -> dict[int, list[rules.Finding]]:
    """Index of the first step of each ordered run -> its procedure findings."""
    out, i = {}, 0
    while i < len(ops):
        if ops[i].name == "skill.step" and ops[i].attr("ordered"):
            j = i
            while j < len(ops) and ops[j].name == "skill.step" and ops[j].attr("ordered"):
                j += 1
            found = rules.procedure([op.attr("text", "") for op in ops[i:j]])
            if found:
                out[i] = found
            i = j
        else:
            i += 1
    return out


def annotate(order: dict[str, int], rows: list) -> Pattern:
    """The pattern: set the facts of an instruction-bearing op (its nested ops first). The
    region's procedure runs are found once, on the first op of the region."""

    def run(site: Site) -> Rewrite | None:
        runs = site.state.get("runs")
        if runs is None:
            runs = site.state["runs"] = _procedure_runs(site.ops)
        op = site.op
        found = _op_findings(op, site.next_op)
        if found is None and site.index not in runs:
            return None
        facts = merge((found or []) + runs.get(site.index, []), order)
        if not any(facts.values()):
            return None
        rows.append((op, facts))
        return Rewrite((op.with_attrs(**{k: (freeze(v) if v else None)
                                         for k, v in facts.items()}),))
    return Pattern("annotate-facts", run)


def explain_table(rows) -> str:
    lines = [f"{'location':<18} {'primitive':<20} {'level':<5} evidence"]
    for op, facts in sorted(rows, key=lambda row: (row[0].loc.line, row[0].loc.col)):
        where = f"{op.loc.file}:{op.loc.line}"
        for r in facts["requires"]:
            for k, ev in enumerate(r["evidence"]):
                head = (f"{where:<18} {r['primitive']:<20} L{r['level']:<4}" if k == 0
                        else " " * 45)
                lines.append(f"{head} {ev}")
        for a in facts["actions"]:
            lines.append(f"{where:<18} {'action':<20} {'':<5} {a['kind']} {a['target']}")
    return "\n".join(lines) + "\n"


@attrs.frozen
class InferCapabilities(Pass):
    name = "infer-capabilities"
    summary = "Attach capability requirements, tool actions, reads and writes to instructions"

    def apply(self, ctx: PassContext, module: Operation) -> Operation:
        rows: list[tuple[Operation, dict]] = []  # for --explain and the report
        order = primitive_order(ctx.targets.primitive_ids())
        new_module = walk_patterns(module, PatternSet(post=(annotate(order, rows),)))
        by_primitive: dict[str, int] = {}
        for _, facts in rows:
            for r in facts["requires"]:
                by_primitive[r["primitive"]] = by_primitive.get(r["primitive"], 0) + 1
        ctx.publish(InferCapabilitiesResult(
            ops=len(rows), requirements=sum(by_primitive.values()),
            by_primitive=dict(sorted(by_primitive.items())),
            actions=sum(len(f["actions"]) for _, f in rows),
            reads=sorted({p for _, f in rows for p in f["reads"]}),
            writes=sorted({p for _, f in rows for p in f["writes"]})))
        if ctx.options.get("explain"):
            sys.stderr.write(explain_table(rows))
        return new_module
