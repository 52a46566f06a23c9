"""The `flow` dialect: sequencing, parallel regions and loops over collections.

``extract-concurrency`` introduces these ops around the skill ops it proves independent; the
skill ops are moved into the regions, never copied. Branches are ``flow.branch`` ops (one region
each) inside the single region of ``flow.parallel``, because OpDef declares a fixed number of
regions. The bytecode backend turns a ``flow.parallel`` into FORK ... JOIN.

- ``flow.parallel {kind, reason, on_failure}``: the branches may run at the same time.
  kind "instruction": independent tool calls (several reads) of one turn or step;
  kind "task": independent multi-step sub-tasks (sections touching disjoint files);
  kind "data": the same operation over a collection (see ``flow.foreach``).
- ``flow.foreach {collection, var, parallel}``: the region runs once per item of
  ``collection`` (as the skill words it, e.g. "log file", "CSV in data/"); ``parallel`` says
  whether iterations are independent (no shared output, no accumulation).
- ``flow.seq``: ops that must stay in order (used to group several ops in one branch).

Module fact (declared here): ``concurrency`` {critical_path, sequential_steps,
parallel_regions, foreach}, the summary extract-concurrency leaves on ``builtin.module``.
"""

from skvmc.ir import Operation
from skvmc.opdef import Dialect, attr, opt

DIALECT = Dialect("flow", "sequencing, parallel regions and loops over collections")

KINDS = ("data", "instruction", "task")
ON_FAILURE = ("cancel", "collect")

DIALECT.fact("concurrency", attr("dict", fields={
    "critical_path": attr("int", min=0), "sequential_steps": attr("int", min=0),
    "parallel_regions": attr("int", min=0), "foreach": attr("int", min=0),
}), scope="module")


def _only_branches(op: Operation) -> list[str]:
    inner = op.body
    out = [f"region may hold only 'flow.branch' ops, found '{o.name}'"
           for o in inner if o.name != "flow.branch"]
    if not out and len(inner) < 2:
        out.append(f"needs at least 2 branches, has {len(inner)}")
    return out


PARALLEL = DIALECT.op(
    "parallel",
    "Branches (flow.branch ops) that may run concurrently; joined before the next op.",
    attributes={
        "kind": attr("str", choices=KINDS),
        "reason": attr("str", doc="why the branches are independent, for reports"),
        "on_failure": opt("str", choices=ON_FAILURE,
                          doc="cancel the siblings (default) or collect every result"),
        "evidence": opt("str", choices=("stated", "disjoint"),
                        doc="stated: the text says so; disjoint: known, disjoint reads/writes"),
    },
    regions=1,
    verify_extra=_only_branches,
)

BRANCH = DIALECT.op(
    "branch",
    "One branch of a flow.parallel: its region runs in order.",
    attributes={"label": opt("str")},
    regions=1,
)

FOREACH = DIALECT.op(
    "foreach",
    "Run the region once per item of a collection; the item is bound to var.",
    attributes={
        "collection": attr("str", doc="the collection as the skill names it"),
        "var": attr("str", doc="a name for the current item"),
        "parallel": opt("bool", doc="iterations are independent (data-level parallelism)"),
    },
    regions=1,
)

SEQ = DIALECT.op("seq", "Ops that must run in order (a grouping, no semantics beyond that).",
                 regions=1)
