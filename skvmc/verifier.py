"""The verifier: structural rules for every module plus each op's declared shape.

Structural: the top op is ``builtin.module`` and appears nowhere else; every op is declared by
a known dialect; every value is defined once; operands are defined before use in the same or
an enclosing region and with the type they were defined with. Per-op: ``OpDef.problems``.
"""

from __future__ import annotations

from skvmc.diagnostics import Diagnostic
from skvmc.ir import MODULE_OP, Operation
from skvmc.memo import ByIdentity
from skvmc.opdef import LOCAL_PROBLEMS as _local_problems


def verify(module: Operation) -> list[Diagnostic]:
    """Every problem in ``module``, as error diagnostics (empty when it is valid)."""
    if module.name == MODULE_OP:
        summary = _summary(module)
        if summary.ok and not summary.free:
            return []  # valid: what the walk below would find is nothing
    out: list[Diagnostic] = []
    if module.name != MODULE_OP:
        out.append(Diagnostic("error", f"top-level op must be '{MODULE_OP}', not '{module.name}'",
                              module.loc, code="verify"))
    _verify_op(module, set(), {}, out, top=True)
    return out


class _Summary:
    """What verifying an op's subtree needs from outside it, per op object (the IR is
    immutable, and a pass keeps most ops of its input): ``ok`` when nothing inside is wrong by
    itself (an op's own problems, a nested module, a use of a value defined inside with another
    type, a value defined twice inside); ``free``: the (name, type) of each use not defined
    before it inside; ``defs``: every value name defined inside (a frozenset, or a 1-tuple
    for one name), ``count`` with repeats.

    A module is valid when its summary is ``ok`` with nothing ``free``: each use is then
    defined by an earlier sibling at some enclosing level (what ``_verify_op``'s ``visible``
    holds), with its type, and no name is defined twice. Verifying after a pass then costs the
    ops it rebuilt, not a walk of the module; anything not ok is walked again for the
    located diagnostics."""

    __slots__ = ("ok", "free", "defs", "count")

    def __init__(self, ok: bool, free: tuple, defs: frozenset, count: int):
        self.ok, self.free, self.defs, self.count = ok, free, defs, count


_NO_DEFS: frozenset = frozenset()
_CLEAN = _Summary(True, (), _NO_DEFS, 0)  # nothing wrong, used or defined inside


def _summarize(op: Operation) -> _Summary:
    ok = not _local_problems(op)
    free = [(v.name, v.type) for v in op.operands]
    results = op.results
    # one result (most ops): its name as a 1-tuple, a fifth of a frozenset's bytes, kept on
    # every op verified; several may repeat a name, which the set's size then shows
    defs = [(results[0].name,)] if len(results) == 1 else \
        [frozenset(v.name for v in results)] if results else []
    count = len(op.results)
    for region in op.regions:
        local: dict = {}  # the results of the siblings so far: name -> type
        for inner in region.ops:
            s = _summary(inner)
            ok = ok and s.ok and inner.name != MODULE_OP
            for name, kind in s.free:
                if name in local:
                    ok = ok and local[name] == kind
                else:
                    free.append((name, kind))
            for value in inner.results:
                local[value.name] = value.type
            if s.count:
                defs.append(s.defs)
                count += s.count
    if ok and not free and not count:
        return _CLEAN  # most ops: one shared summary instead of one kept on each
    names = frozenset().union(*defs) if len(defs) > 1 else (defs[0] if defs else _NO_DEFS)
    return _Summary(ok and len(names) == count, tuple(free), names, count)


_summary = ByIdentity(_summarize)


def _err(out, op, message, loc=None):
    out.append(Diagnostic("error", f"'{op.name}' op {message}", loc or op.loc, code="verify"))


def _fine_leaf(op, visible, defined) -> bool:
    """Whether _verify_op would report nothing for ``op`` (an op without regions): checked
    without building messages, for the ops most modules are made of."""
    if op.name == MODULE_OP or _local_problems(op):
        return False
    for value in op.operands:
        if value.name not in visible:
            return False
        want = defined[value.name]
        if want is not value.type and want != value.type:
            return False
    for value in op.results:
        if value.name in defined:
            return False
    return True


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
            if inner.regions or not _fine_leaf(inner, visible, defined):
                _verify_op(inner, visible, defined, out)
            else:  # what _verify_op would do for it: no message, its results defined
                for value in inner.results:
                    defined[value.name] = value.type
            for value in inner.results:
                if value.name not in visible:
                    visible.add(value.name)
                    inner_defs.append(value.name)
        visible.difference_update(inner_defs)
    for value in op.results:
        if value.name in defined:
            _err(out, op, f"redefines '%{value.name}'")
        defined[value.name] = value.type
