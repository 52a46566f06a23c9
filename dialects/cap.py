"""The `cap` dialect: what an instruction needs from the model+harness.

Facts about a source op are attributes on that op (so they travel with it through every
rewrite), with shapes declared here once and checked by ``verify_facts``:

- ``requires``: array of {primitive: str, level: int 1..3, evidence: [str], status: str?}
  where status is "legal", "lowered" (a pattern rewrote it) or "gap" (nothing could);
  lower-capabilities adds ``by`` (the pattern name) to lowered requirements and to the ones a
  pattern added in their place. Rewritten ``skill.code`` ops say how in ``translated_from``
  (the original shell dialect) or ``rewritten`` (which third-party idioms became stdlib).
- ``actions``: array of {kind: one of ACTIONS, target: str} - the abstract tool actions.
- ``reads`` / ``writes``: arrays of paths (workdir-relative) the instruction consumes/produces.

Ops the lowering inserts are declared below; they print as ordinary instructions.
"""

from skvmc.ir import Operation, freeze
from skvmc.opdef import Dialect, attr, opt

DIALECT = Dialect("cap", "capability requirements and the rewrites that legalize them")

ACTIONS = ("exec", "read", "write", "edit", "list", "search", "fetch", "browser", "ask-model")
STATUSES = ("legal", "lowered", "gap")

DELEGATE = DIALECT.op(
    "delegate",
    "Work the target cannot do reliably in its head, delegated to generated code that the VM "
    "runs (e.g. arithmetic done by Python). `instruction` is the rewritten instruction text.",
    attributes={
        "primitive": attr("str"), "lang": attr("str"), "instruction": attr("str"),
        "code": opt("str", doc="a template when the compiler can write the code itself"),
    },
)

VALIDATE = DIALECT.op(
    "validate",
    "A validation step after structured output: the output file must match the schema.",
    attributes={"path": attr("str"), "schema": attr("dict"), "format": attr("str", choices=("json", "yaml"))},
)

SPLIT = DIALECT.op(
    "split",
    "A long or branching procedure split into single steps the VM sequences one at a time.",
    attributes={"reason": attr("str")},
    regions=1,
)

SERIALIZE = DIALECT.op(
    "serialize",
    "A batch of tool calls the target cannot issue in one turn, made one call per step.",
    attributes={"reason": attr("str")},
    regions=1,
)

GAP = DIALECT.op(
    "gap",
    "A requirement no pattern could legalize (partial mode keeps the step and warns).",
    attributes={"primitive": attr("str"), "needed": attr("int"), "has": opt("int")},
)


def requirements(op: Operation) -> list[dict]:
    return [dict(r) for r in op.attr("requires", ())]


def actions(op: Operation) -> list[dict]:
    return [dict(a) for a in op.attr("actions", ())]


def with_requirements(op: Operation, reqs: list[dict]) -> Operation:
    return op.with_attrs(requires=freeze(reqs) if reqs else None)


def verify_facts(op: Operation) -> list[str]:
    """Problems with the fact attributes of ``op`` (used by the verifier)."""
    out = []
    for r in op.attr("requires", ()):
        if not isinstance(r, dict) and not hasattr(r, "get"):
            out.append("requires entries must be dictionaries")
            continue
        level = r.get("level")
        if not isinstance(r.get("primitive"), str) or not isinstance(level, int) or not 0 <= level <= 3:
            out.append(f"bad requirement {dict(r)!r}: needs primitive (str) and level 0..3")
        if r.get("by") is not None and not isinstance(r.get("by"), str):
            out.append(f"bad requirement 'by' {r.get('by')!r}: expected a pattern name")
        if r.get("status") is not None and r.get("status") not in STATUSES:
            out.append(f"bad requirement status {r.get('status')!r}")
    for a in op.attr("actions", ()):
        if a.get("kind") not in ACTIONS:
            out.append(f"unknown action kind {a.get('kind')!r}")
    return out
