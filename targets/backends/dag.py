"""The ``dag`` backend: the dataflow DAG of the skill's instructions as DOT and Mermaid.

Nodes are the schedulable ops (steps, code blocks, loops) in document order, looking through
sections and the flow/cap wrappers; edges are the orderings that must be kept (file
dependences, "then" wording, opaque effects), transitively reduced. Independent nodes have no
path between them - that is the parallelism extract-concurrency exploits.
"""

from __future__ import annotations

from skvmc.legal import LegalOps
from skvmc.passes.dataflow import build_graph, is_schedulable, to_dot, to_mermaid

TRANSPARENT = ("skill.section", "flow.parallel", "flow.branch", "flow.seq", "cap.split",
               "cap.serialize")


def _look_inside(out: list, op) -> None:
    out += instruction_ops(op.body)


def _node(out: list, op) -> None:
    if is_schedulable(op):
        out.append(op)


# transparent wrappers are looked through; instructions become nodes; the rest is no node
LEGAL = LegalOps("dag", {
    **{name: _look_inside for name in TRANSPARENT},
    **{name: _node for name in ("skill.step", "skill.code", "flow.foreach")},
}, skip=("skill.frontmatter", "skill.text", "skill.table", "skill.quote", "skill.rule",
         "skill.html", "skill.ref", "cap.delegate", "cap.validate", "cap.gap", "env.requires",
         "env.dep", "env.var", "env.path", "prompt.tools", "prompt.drop"))


def instruction_ops(ops) -> list:
    out: list = []
    for op in ops:
        LEGAL.dispatch(op, out)
    return out


def graph(module):
    return build_graph(instruction_ops(module.body))


def emit(inp) -> dict[str, bytes]:
    LEGAL.check(inp.module, inp.diags)
    g = graph(inp.module)
    inp.shared["dag_nodes"] = g.number_of_nodes()
    return {"dag.dot": to_dot(g, "skill").encode("utf-8"),
            "dag.mmd": to_mermaid(g).encode("utf-8")}
