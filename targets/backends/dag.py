"""The ``dag`` backend: the dataflow DAG of the skill's instructions as DOT and Mermaid.

Nodes are the schedulable ops (steps, code blocks, loops) in document order, looking through
sections and the flow/cap wrappers; edges are the orderings that must be kept (file
dependences, "then" wording, opaque effects), transitively reduced. Independent nodes have no
path between them - that is the parallelism extract-concurrency exploits.
"""

from __future__ import annotations

from skvmc.passes.dataflow import build_graph, is_schedulable, to_dot, to_mermaid

TRANSPARENT = ("skill.section", "flow.parallel", "flow.branch", "flow.seq", "cap.split",
               "cap.serialize")


def instruction_ops(ops) -> list:
    out = []
    for op in ops:
        if op.name in TRANSPARENT:
            out += instruction_ops(op.body)
        elif is_schedulable(op):
            out.append(op)
    return out


def graph(module):
    return build_graph(instruction_ops(module.body))


def emit(inp) -> dict[str, bytes]:
    g = graph(inp.module)
    inp.shared["dag_nodes"] = g.number_of_nodes()
    return {"dag.dot": to_dot(g, "skill").encode("utf-8"),
            "dag.mmd": to_mermaid(g).encode("utf-8")}
