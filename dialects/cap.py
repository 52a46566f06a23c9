"""The `cap` dialect: what an instruction needs from the model+harness.

Facts about a source op are attributes on that op (so they travel with it through every
rewrite). Their shapes are declared here once (``DIALECT.fact``) and the verifier checks them
on every op that carries facts (trait ``CarriesFacts``):

- ``requires``: array of {primitive: str, level: int 1..3, evidence: [str], status: str?}
  where status is "legal", "lowered" (a pattern rewrote it) or "gap" (nothing could);
  lower-capabilities adds ``by`` (the pattern name) to lowered requirements and to the ones a
  pattern added in their place. Rewritten ``skill.code`` ops say how in ``translated_from``
  (the original shell dialect) or ``rewritten`` (which third-party idioms became stdlib).
- ``actions``: array of {kind: one of ACTIONS, target: str} - the abstract tool actions.

``reads`` / ``writes`` (the files an instruction consumes/produces) belong to the `env` dialect.

Ops the lowering inserts are declared below; they print as ordinary instructions.
"""

from skvmc.ir import Operation, freeze
from skvmc.opdef import Dialect, array_of, attr, opt

DIALECT = Dialect("cap", "capability requirements and the rewrites that legalize them")

ACTIONS = ("exec", "read", "write", "edit", "list", "search", "fetch", "browser", "ask-model")
STATUSES = ("legal", "lowered", "gap")

REQUIREMENT = attr("dict", fields={
    "primitive": attr("str", doc="a primitive id from primitives.json"),
    "level": attr("int", min=0, max=3),
    "evidence": array_of(attr("str"), doc="why, one line per finding"),
    "status": opt("str", choices=STATUSES),
    "by": opt("str", doc="the pattern that lowered (or added) this requirement"),
})
ACTION = attr("dict", fields={"kind": attr("str", choices=ACTIONS), "target": attr("str")})

DIALECT.fact("requires", array_of(REQUIREMENT))
DIALECT.fact("actions", array_of(ACTION))
DIALECT.fact("translated_from", attr("str", doc="the shell dialect a code block was written in"))
DIALECT.fact("rewritten", attr("str", doc="which third-party idioms became stdlib"))

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
    attributes={"path": attr("str"), "schema": attr("dict"),
                "format": attr("str", choices=("json", "yaml"))},
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


def with_requirements(op: Operation, reqs: list[dict]) -> Operation:
    return op.with_attrs(requires=freeze(reqs) if reqs else None)
