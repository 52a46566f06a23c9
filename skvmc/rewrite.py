"""A greedy pattern-rewrite driver over the immutable IR.

Two kinds of pattern, both plain functions:
- an *op pattern* ``(op) -> None | Operation | list[Operation]``: ``None`` means "no match";
  a list (possibly empty) replaces the op in its region;
- a *region pattern* ``(ops: tuple) -> None | list[Operation]``: sees a whole sibling list,
  for rewrites that need neighbours (merging, renumbering).

``apply_patterns`` runs them bottom-up until nothing matches (or an iteration cap is hit, which
is reported as a bug: patterns must converge).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from skvmc.ir import Operation, Region

OpPattern = Callable[[Operation], "Operation | list[Operation] | None"]
RegionPattern = Callable[[tuple], "list[Operation] | None"]


def _rewrite_region(ops: tuple, op_patterns, region_patterns) -> tuple[tuple, bool]:
    changed = False
    out: list[Operation] = []
    for op in ops:
        new = _rewrite_op(op, op_patterns, region_patterns)
        changed |= new is not op
        replaced = None
        for pattern in op_patterns:
            replaced = pattern(new)
            if replaced is not None:
                break
        if replaced is None:
            out.append(new)
        else:
            changed = True
            out.extend([replaced] if isinstance(replaced, Operation) else replaced)
    result = tuple(out)
    for pattern in region_patterns:
        replaced = pattern(result)
        if replaced is not None and tuple(replaced) != result:
            result, changed = tuple(replaced), True
    return result, changed


def _rewrite_op(op: Operation, op_patterns, region_patterns) -> Operation:
    if not op.regions:
        return op
    regions, changed = [], False
    for region in op.regions:
        ops, region_changed = _rewrite_region(region.ops, op_patterns, region_patterns)
        regions.append(Region(ops) if region_changed else region)
        changed |= region_changed
    return attrs.evolve(op, regions=tuple(regions)) if changed else op


def apply_patterns(module: Operation, op_patterns: Sequence[OpPattern] = (),
                   region_patterns: Sequence[RegionPattern] = (),
                   max_iterations: int = 16) -> Operation:
    """Rewrite to a fixed point. Returns the same object when nothing matched."""
    current = module
    for _ in range(max_iterations):
        new = _rewrite_op(current, op_patterns, region_patterns)
        if new is current or new == current:
            return current
        current = new
    raise RuntimeError(f"rewrite patterns did not converge in {max_iterations} iterations")
