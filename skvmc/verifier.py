"""The verifier: structural rules for every module plus each op's declared shape.

Structural: the top op is ``builtin.module`` and appears nowhere else; every op is declared by
a known dialect; every value is defined once; operands are defined before use in the same or
an enclosing region and with the type they were defined with. Per-op: ``OpDef.problems``.
"""

from __future__ import annotations

from skvmc.diagnostics import Diagnostic
from skvmc.ir import MODULE_OP, Operation
from skvmc.memo import ByIdentity
from skvmc.opdef import lookup_op


def verify(module: Operation) -> list[Diagnostic]:
    """Every problem in ``module``, as error diagnostics (empty when it is valid)."""
    out: list[Diagnostic] = []
    if module.name != MODULE_OP:
        out.append(Diagnostic("error", f"top-level op must be '{MODULE_OP}', not '{module.name}'",
                              module.loc, code="verify"))
    _verify_op(module, set(), {}, out, top=True)
    return out


def _problems(op: Operation) -> tuple[tuple[str | None, str], ...]:
    opdef = lookup_op(op.name)
    if opdef is None:
        return ((None, "is not declared by any registered dialect"),)
    return tuple(opdef.located_problems(op))


# What is wrong with an op by itself (its declaration, its declared facts), as (attribute key
# or None, message) pairs. The IR is immutable, so an op object a pass left untouched has the
# problems it had when the previous pass's output was verified: verifying after every pass
# then costs a walk plus checks of the ops that pass actually rebuilt.
_local_problems = ByIdentity(_problems)


def _err(out, op, message, loc=None):
    out.append(Diagnostic("error", f"'{op.name}' op {message}", loc or op.loc, code="verify"))


def _verify_op(op, visible, defined, out, top=False):
    """``visible``: the values defined before ``op`` in its region and the enclosing ones
    (names are unique module-wide, so leaving a region just removes what it defined)."""
    if op.name == MODULE_OP and not top:
        _err(out, op, "may only appear at the top level")
    for key, problem in _local_problems(op):
        _err(out, op, problem, op.attr_loc(key) if key is not None else None)
    for i, value in enumerate(op.operands):
        if value.name not in visible:
            _err(out, op, f"operand #{i} uses '%{value.name}' before it is defined (or out of "
                 "scope)")
        elif defined[value.name] != value.type:
            _err(out, op, f"operand #{i} '%{value.name}' has type {value.type} but was "
                 f"defined as {defined[value.name]}")
    for region in op.regions:
        inner_defs: list[str] = []
        for inner in region.ops:
            _verify_op(inner, visible, defined, out)
            for value in inner.results:
                if value.name not in visible:
                    visible.add(value.name)
                    inner_defs.append(value.name)
        visible.difference_update(inner_defs)
    for value in op.results:
        if value.name in defined:
            _err(out, op, f"redefines '%{value.name}'")
        defined[value.name] = value.type
