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


# id(op) -> (op, its local problems). The IR is immutable, so an op object a pass left
# untouched has the problems it had when the previous pass's output was verified: verifying
# after every pass then costs a walk plus checks of the ops that pass actually rebuilt. The
# op itself is kept in the value so its id cannot be reused while the entry lives.
_LOCAL: dict[int, tuple[Operation, tuple[str, ...]]] = {}
_LOCAL_LIMIT = 200_000


def _local_problems(op: Operation) -> tuple[tuple[str | None, str], ...]:
    """What is wrong with ``op`` by itself (its declaration, its declared facts), as
    (attribute key or None, message) pairs, memoized per op object."""
    hit = _LOCAL.get(id(op))
    if hit is not None and hit[0] is op:
        return hit[1]
    opdef = lookup_op(op.name)
    if opdef is None:
        problems = ((None, "is not declared by any registered dialect"),)
    else:
        problems = tuple(opdef.located_problems(op))
    if len(_LOCAL) >= _LOCAL_LIMIT:
        _LOCAL.clear()
    _LOCAL[id(op)] = (op, problems)
    return problems


def _verify_op(op, scopes, defined, out, top=False):
    def err(message, loc=None):
        out.append(Diagnostic("error", f"'{op.name}' op {message}", loc or op.loc,
                              code="verify"))

    if op.name == MODULE_OP and not top:
        err("may only appear at the top level")
    for key, problem in _local_problems(op):
        err(problem, op.attr_loc(key) if key is not None else None)
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
