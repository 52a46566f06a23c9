"""The ``dag`` backend: the dataflow DAG of the skill's instructions as DOT and Mermaid.

Nodes are the schedulable ops (steps, code blocks, loops) in document order, looking through
sections and the flow/cap wrappers; edges are the orderings that must be kept (file
dependences, "then" wording, opaque effects), transitively reduced. Independent nodes have no
path between them - that is the parallelism extract-concurrency exploits.
"""

from __future__ import annotations

import networkx as nx

from skvmc.bytesink import ByteSink
from skvmc.legal import LegalOps
from skvmc.memo import Bounded
from skvmc.passes.analysis.dataflow import (
    _label,
    build_graph,
    dependences,
    effects,
    is_schedulable,
)

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


# -- rendering ---------------------------------------------------------------------------------

def _reduced(g: nx.DiGraph) -> nx.DiGraph:
    # build_graph's graphs are reduced already; reduce (once) only a graph made elsewhere.
    return g if g.graph.get("reduced") else nx.transitive_reduction(g)


def dot_label(text: str) -> str:
    """Text for a quoted DOT string: backslashes escaped (a trailing one would escape the
    closing quote), double quotes turned into single ones."""
    return text.replace("\\", "\\\\").replace('"', "'")


_MERMAID_ESCAPES = str.maketrans({"<": "#lt;", ">": "#gt;", "&": "#amp;", '"': "'"})


def mermaid_label(text: str) -> str:
    """Text for a quoted Mermaid label: no raw HTML (Mermaid renders HTML in labels, so
    ``<img onerror=...>`` would run in a viewer): < > & become entity codes."""
    return text.translate(_MERMAID_ESCAPES)


def _dot_lines(labels, edges, name: str):
    yield f"digraph {name} {{"
    for n, label in enumerate(labels):
        yield f'  n{n} [label="{dot_label(label)}"];'
    for a, b, reason in edges:
        yield f'  n{a} -> n{b} [label="{reason}"];'
    yield "}"


def _mermaid_lines(labels, edges):
    yield "flowchart TD"
    for n, label in enumerate(labels):
        yield f'  n{n}["{mermaid_label(label)}"]'
    for a, b, reason in edges:
        yield f"  n{a} -->|{reason}| n{b}"


def _dot(labels, edges, name: str) -> str:
    return "\n".join(_dot_lines(labels, edges, name)) + "\n"


def _mermaid(labels, edges) -> str:
    return "\n".join(_mermaid_lines(labels, edges)) + "\n"


def _encoded(lines) -> bytes:
    """``("\\n".join(lines) + "\\n").encode()``, a few thousand lines at a time into one
    buffer: 100,000 nodes were a list of line strings, the joined text and its bytes at once."""
    sink, batch = ByteSink(), []
    for line in lines:
        batch.append(line)
        if len(batch) >= 4096:
            batch.append("")
            sink.write("\n".join(batch))
            batch.clear()
    batch.append("")
    sink.write("\n".join(batch))
    return sink.getvalue()


def _graph_parts(g: nx.DiGraph):
    reduced = _reduced(g)
    return ([g.nodes[n]["label"] for n in g.nodes],
            [(a, b, g.edges[a, b]["reason"]) for a, b in reduced.edges])


def to_dot(g: nx.DiGraph, name: str = "dataflow") -> str:
    """DOT text of a dependence graph (transitively reduced edges only)."""
    return _dot(*_graph_parts(g), name)


def to_mermaid(g: nx.DiGraph) -> str:
    return _mermaid(*_graph_parts(g))


# What the files are made of -> the files. The files read of each node only its name (is it
# schedulable), its label and its effects: every target of a skill rebuilds the ops (its own
# tool names, requirement statuses) but most keep those three, so the graph is made once per
# skill, not once per target. Small graphs only: a 1 MB skill's key and files would stay in
# memory after its one compile.
_MADE: Bounded = Bounded(64)
MEMO_MAX_NODES = 2000


def emit(inp) -> dict[str, bytes]:
    LEGAL.check(inp.module, inp.diags)
    ops = instruction_ops(inp.module.body)
    key = tuple((op.name, _label(op), effects(op)) for op in ops) \
        if len(ops) <= MEMO_MAX_NODES else None
    made = _MADE.get(key) if key is not None else None
    if made is None:
        made = _make(ops)
        if key is not None:
            _MADE.put(key, made)
    return {"dag.dot": made[0], "dag.mmd": made[1]}


def _make(ops) -> tuple[bytes, bytes]:
    # the dependences as plain data, not a networkx graph (the same nodes and edges, in the
    # order the graph iterates them, at a fraction of the memory)
    deps = dependences(ops)
    labels, edges = [_label(op) for op in deps.ops], deps.sorted_edges()
    del deps
    return (_encoded(_dot_lines(labels, edges, "skill")),
            _encoded(_mermaid_lines(labels, edges)))
