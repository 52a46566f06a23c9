"""The verifier: structural rules for every module plus each op's declared shape.

Structural: the top op is ``builtin.module`` and appears nowhere else; every op is declared by
a known dialect; every value is defined once; operands are defined before use in the same or
an enclosing region and with the type they were defined with. Per-op: ``OpDef.problems``.
"""

from __future__ import annotations

from skvmc.diagnostics import Diagnostic
from skvmc.ir import MODULE_OP, Operation
from skvmc.opdef import lookup_op


def verify(module: Operation) -> list[Diagnostic]:
    """Every problem in ``module``, as error diagnostics (empty when it is valid)."""
    out: list[Diagnostic] = []
    if module.name != MODULE_OP:
        out.append(Diagnostic("error", f"top-level op must be '{MODULE_OP}', not '{module.name}'",
                              module.loc, code="verify"))
    defined: dict[str, object] = {}
    _verify_op(module, [set()], defined, out, top=True)
    return out


_LOCAL: dict[int, tuple] = {}  # id(op) -> (op, problems): ops are immutable, the checks pure
_LOCAL_LIMIT = 200_000


def _local_problems(op) -> tuple[str, ...]:
    """The checks of ``op`` that do not depend on where it sits (its declaration, its facts),
    memoized per op object: the pass manager verifies after every pass, and passes keep the
    subtrees they do not change, so without this every pass re-checks the whole module."""
    hit = _LOCAL.get(id(op))
    if hit is not None and hit[0] is op:
        return hit[1]
    problems: list[str] = []
    opdef = lookup_op(op.name)
    if opdef is None:
        problems.append("is not declared by any registered dialect")
    else:
        problems.extend(opdef.problems(op))
    if "requires" in op.attributes or "actions" in op.attributes:
        from skvmc.dialects.cap import verify_facts

        problems.extend(verify_facts(op))
    if len(_LOCAL) >= _LOCAL_LIMIT:
        _LOCAL.clear()
    _LOCAL[id(op)] = (op, tuple(problems))
    return _LOCAL[id(op)][1]


def _verify_op(op, scopes, defined, out, top=False):
    def err(message):
        out.append(Diagnostic("error", f"'{op.name}' op {message}", op.loc, code="verify"))

    if op.name == MODULE_OP and not top:
        err("may only appear at the top level")
    for problem in _local_problems(op):
        err(problem)
    for i, value in enumerate(op.operands):
        if not any(value.name in scope for scope in scopes):
            err(f"operand #{i} uses '%{value.name}' before it is defined (or out of scope)")
        elif defined[value.name] != value.type:
            err(f"operand #{i} '%{value.name}' has type {value.type} but was defined as "
                f"{defined[value.name]}")
    for region in op.regions:
        scopes.append(set())
        for inner in region.ops:
            _verify_op(inner, scopes, defined, out)
        scopes.pop()
    for value in op.results:
        if value.name in defined:
            err(f"redefines '%{value.name}'")
        defined[value.name] = value.type
        scopes[-1].add(value.name)
