"""The rewrite and conversion drivers over the immutable IR: every pass that rewrites regions is
wiring over a pattern table here, never a walk of its own.

A *pattern* is a named function with a declared effect (the op names it may create):
- a **site pattern** ``(Site) -> Rewrite | None`` sees one op among its siblings (the op, the
  ops before and after it, the parent, a scratch dict for the region). ``None`` means "no
  match"; a :class:`Rewrite` replaces the op (and ``consumed - 1`` siblings after it) with
  ``before + ops + after``. *pre* patterns run before the op's regions are visited (a removal
  there skips them); *post* patterns see the op with its regions already rewritten;
- a **region pattern** ``(ops: tuple, parent) -> list | None`` sees a whole sibling list after
  its ops were rewritten, for rewrites that need neighbours (grouping, merging, renumbering).

:func:`walk_patterns` is one bottom-up sweep (MLIR's walk driver): what a pass computes once
per op. :func:`apply_patterns` repeats sweeps to a fixed point (the greedy driver). Both
check each rewrite against its pattern's declaration: an op the pattern did not declare is an
internal error naming the pattern. :func:`legalize` is the conversion driver: it tries the
patterns that legalize an illegal item and accepts a rewrite only when the legality callback
accepts everything the rewrite adds, and when what it adds is what the pattern declared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from skvmc.ir import Operation, Region
from skvmc.memo import Bounded, ByIdentity


class PatternContractError(RuntimeError):
    """A pattern did something it does not declare: a bug in the pattern, not in the input."""

    def __init__(self, pattern: str, message: str):
        super().__init__(f"internal error: pattern '{pattern}' {message}")
        self.pattern = pattern


@attrs.frozen
class Rewrite:
    """What replaces a matched op: ``ops`` in its place (empty: removed), with ``before`` and
    ``after`` inserted around them, replacing ``consumed`` siblings from the matched one."""

    ops: tuple = ()
    before: tuple = ()
    after: tuple = ()
    consumed: int = 1

    @property
    def all_ops(self) -> tuple:
        return tuple(self.before) + tuple(self.ops) + tuple(self.after)


@attrs.define(eq=False)
class Site:
    """One op among its siblings, as a site pattern sees it (the driver reuses one per op)."""

    op: Operation  # the op (in post patterns: with its regions already rewritten)
    ops: tuple  # the sibling list as it was before this sweep
    index: int
    parent: Operation | None
    state: dict  # scratch space shared by the patterns over one region, for one sweep
    descend: Callable[[Operation], Operation]  # rewrites an op's regions (for consumed siblings)

    @property
    def original(self) -> Operation:
        return self.ops[self.index]

    @property
    def next_op(self) -> Operation | None:
        return self.ops[self.index + 1] if self.index + 1 < len(self.ops) else None

    @property
    def prev_op(self) -> Operation | None:
        return self.ops[self.index - 1] if self.index else None


@attrs.frozen
class Pattern:
    """A named rewrite with its declared effect: ``creates`` lists the op names it may put in
    place of what it matched (beyond the names it matched)."""

    name: str
    fn: Callable[..., Any]
    creates: tuple[str, ...] = ()

    def __call__(self, *args):
        return self.fn(*args)


@attrs.frozen
class PatternSet:
    pre: tuple[Pattern, ...] = ()
    post: tuple[Pattern, ...] = ()
    region: tuple[Pattern, ...] = ()

    def __add__(self, other: PatternSet) -> PatternSet:
        return PatternSet(self.pre + other.pre, self.post + other.post,
                          self.region + other.region)


def pattern(name: str, creates: Iterable[str] = ()):
    """Decorator: ``@pattern("drop-empty-text")`` makes a function a :class:`Pattern`."""
    return lambda fn: Pattern(name, fn, tuple(creates))


def check_creates(p: Pattern, matched: Iterable[Operation], produced: Iterable[Operation]) -> None:
    """The op names ``p`` put in place of ``matched`` must be matched names or declared ones."""
    allowed = {op.name for op in matched} | set(p.creates)
    undeclared = sorted({op.name for op in produced} - allowed)
    if undeclared:
        raise PatternContractError(p.name, f"created {', '.join(undeclared)}, which it does not "
                                   f"declare (creates: {', '.join(p.creates) or 'nothing'})")


class _Sweep:
    def __init__(self, patterns: PatternSet, fixed: ByIdentity | None = None):
        self.patterns = patterns
        # ops a sweep of these (context-free) patterns left as they were, with all they hold:
        # 1 = its regions, 2 = also the op itself among its siblings (see apply_patterns)
        self.fixed = fixed

    def op(self, op: Operation) -> Operation:
        """``op`` with each of its regions rewritten (the same object when nothing changed)."""
        if not op.regions:
            return op
        fixed = self.fixed
        if fixed is not None:
            if fixed.get(op):
                return op
            new = self._op(op)
            if new is op:
                fixed.put(op, 1)
            return new
        return self._op(op)

    def _op(self, op: Operation) -> Operation:
        regions, changed = [], False
        for region in op.regions:
            ops = self.region(region.ops, op)
            same = ops is region.ops  # region() hands back the very tuple when nothing changed
            regions.append(region if same else Region(ops))
            changed |= not same
        return attrs.evolve(op, regions=tuple(regions)) if changed else op

    def _match(self, patterns, site: Site) -> tuple[Pattern, Rewrite] | None:
        for p in patterns:
            rewrite = p.fn(site)
            if rewrite is not None:
                matched = (site.op, *site.ops[site.index + 1:site.index + rewrite.consumed])
                new = [o for o in rewrite.all_ops if not any(o is m for m in matched)]
                check_creates(p, matched, new)
                return p, rewrite
        return None

    def region(self, ops: tuple, parent: Operation | None) -> tuple:
        """The rewritten sibling list: ``ops`` itself when nothing changed."""
        if not ops and not self.patterns.region:
            return ops  # most steps have an empty region
        out: list[Operation] = []
        state: dict = {}
        changed = False
        pre, post, descend = self.patterns.pre, self.patterns.post, self.op
        fixed = self.fixed
        i, n = 0, len(ops)
        while i < n:
            op = ops[i]
            if fixed is not None and fixed.get(op) == 2:  # nothing here matches: as it was
                out.append(op)
                i += 1
                continue
            if not pre and not post:  # only region patterns: no site to show
                new_op = descend(op)
                out.append(new_op)
                changed |= new_op is not op
                i += 1
                continue
            site = Site(op, ops, i, parent, state, descend)
            hit = self._match(pre, site) if pre else None
            if hit is None:
                site.op = descend(op) if op.regions else op
                hit = self._match(post, site) if post else None
            if hit is None:
                out.append(site.op)
                changed |= site.op is not op
                if fixed is not None and site.op is op:
                    fixed.put(op, 2)
                i += 1
                continue
            new, k = hit[1].all_ops, max(1, hit[1].consumed)
            changed |= len(new) != k or any(a is not b for a, b in zip(new, ops[i:i + k]))
            out.extend(new)
            i += k
        result = tuple(out) if changed else ops
        for p in self.patterns.region:
            replaced = p(result, parent)
            if replaced is not None and tuple(replaced) != result:
                kept = {id(r) for r in result}
                check_creates(p, result, [o for o in replaced if id(o) not in kept])
                result = tuple(replaced)
        return result


def walk_patterns(root: Operation, patterns: PatternSet,
                  fixed: ByIdentity | None = None) -> Operation:
    """One bottom-up sweep of ``patterns`` over every region below ``root``. Returns ``root``
    itself when nothing changed. ``fixed``: a memo of the ops such a sweep left unchanged,
    for patterns that read nothing but the op or the sibling list they are given (then a
    subtree's sweep is a function of the subtree alone)."""
    new = _Sweep(patterns, fixed).op(root)
    return root if new is root or new == root else new


# -- the greedy driver (canonicalize) ------------------------------------------------------------

OpPattern = Callable[[Operation], "Operation | list[Operation] | None"]
RegionPattern = Callable[[tuple], "list[Operation] | None"]


def _as_site_pattern(fn: OpPattern) -> Pattern:
    if isinstance(fn, Pattern):
        return fn

    def run(site: Site):
        new = fn(site.op)
        if new is None:
            return None
        return Rewrite((new,) if isinstance(new, Operation) else tuple(new))
    return Pattern(getattr(fn, "__name__", "op-pattern").replace("_", "-"), run)


def _as_region_pattern(fn: RegionPattern) -> Pattern:
    if isinstance(fn, Pattern):
        return fn
    return Pattern(getattr(fn, "__name__", "region-pattern").replace("_", "-"),
                   lambda ops, parent: fn(ops))


def apply_patterns(module: Operation, op_patterns: Sequence[OpPattern] = (),
                   region_patterns: Sequence[RegionPattern] = (),
                   max_iterations: int = 16) -> Operation:
    """Rewrite to a fixed point: sweeps of ``op_patterns`` (``(op) -> None | op | [ops]``, after
    the op's regions) and ``region_patterns`` (``(ops) -> None | [ops]``) until nothing matches.
    Returns the same object when nothing matched; a cap on the sweeps catches patterns that do
    not converge (a bug)."""
    patterns = PatternSet(post=tuple(_as_site_pattern(p) for p in op_patterns),
                          region=tuple(_as_region_pattern(p) for p in region_patterns))
    fixed = _fixed_memo(tuple(op_patterns), tuple(region_patterns))
    current = module
    for _ in range(max_iterations):
        new = walk_patterns(current, patterns, fixed)
        if new is current:
            return current
        current = new
    raise RuntimeError(f"rewrite patterns did not converge in {max_iterations} iterations")


# Per set of plain pattern functions: the ops a sweep of them left as they were. These
# patterns see only the op (``fn(op)``) or the sibling list (``fn(ops)``), so an op left
# unchanged (by identity: the IR is immutable) stays so in every later sweep: the sweep
# that confirms the fixed point, and a later run of the same pass (canonicalize runs first
# and last), walk only what was rebuilt since. Pattern objects (which see a whole Site) get
# no memo.
_FIXED: Bounded = Bounded(64)  # (op patterns, region patterns) -> memo


def _fixed_memo(op_patterns: tuple, region_patterns: tuple) -> ByIdentity | None:
    if any(isinstance(p, Pattern) for p in op_patterns + region_patterns):
        return None
    key = (op_patterns, region_patterns)
    memo = _FIXED.get(key)
    return memo if memo is not None else _FIXED.put(key, ByIdentity(None))


# -- the conversion driver (lower-capabilities) -------------------------------------------------


@attrs.frozen
class ConversionPattern:
    """Legalizes items (e.g. capability requirements) by rewriting the op that carries them.

    ``legalizes``: the item keys it takes off an op; ``lowers_to``: the (key, at most which
    level) it may need instead; ``creates``: the op names it may add; ``rewrite(site, item)``
    returns a :class:`Conversion` or None when it does not apply."""

    name: str
    legalizes: tuple[str, ...]
    lowers_to: tuple[tuple[str, int], ...]
    rewrite: Callable[[Any, dict], Conversion | None]
    summary: str = ""
    creates: tuple[str, ...] = ()


@attrs.frozen
class Conversion:
    op: Operation  # replaces the op (same results, so its users stay valid)
    added: tuple = ()  # (key, level, why) the rewrite needs instead
    before: tuple = ()  # ops inserted before it in its region
    after: tuple = ()  # ops inserted after it
    split: str | None = None  # wrap the ordered run starting here in cap.split (reason)


def check_conversion(p: ConversionPattern, op: Operation, result: Conversion,
                     wraps: str | None = None) -> None:
    """What ``result`` adds must be declared: each added item in ``lowers_to`` (at most that
    level), each op it inserts (around the op, into its regions, ``wraps`` for a split) in
    ``creates``. The op itself keeps its name (its users stay valid)."""
    declared = dict(p.lowers_to)
    for key, level, _ in result.added:
        if key not in declared or level > declared[key]:
            raise PatternContractError(p.name, f"added {key} L{level}, which its lowers_to "
                                       f"does not declare ({_pairs(p.lowers_to)})")
    if result.op.name != op.name:
        raise PatternContractError(p.name, f"turned {op.name} into {result.op.name}")
    kept = {id(o) for o in op.walk()}
    inserted = {o.name for top in (*result.before, *result.after) for o in top.walk()}
    inserted |= {o.name for o in result.op.walk() if id(o) not in kept and o is not result.op}
    if result.split is not None:
        inserted.add(wraps or "<split>")
    undeclared = sorted(inserted - set(p.creates))
    if undeclared:
        raise PatternContractError(p.name, f"created {', '.join(undeclared)}, which it does not "
                                   f"declare (creates: {', '.join(p.creates) or 'nothing'})")


def _pairs(pairs) -> str:
    return ", ".join(f"{k} L{lvl}" for k, lvl in pairs) or "nothing"


def legalize(site, item: dict, patterns: Sequence[ConversionPattern],
             legal: Callable[[str, int], bool], explain: Callable[[str, int], str],
             wraps: str | None = None) -> tuple[ConversionPattern, Conversion] | list[str]:
    """Try ``patterns`` in order on an illegal ``item`` at ``site``: the first whose rewrite
    applies and whose added items are all ``legal`` wins. Otherwise, why each failed."""
    tried = []
    for p in patterns:
        result = p.rewrite(site, item)
        if result is None:
            tried.append(f"{p.name} does not apply")
            continue
        check_conversion(p, site.op, result, wraps)
        illegal = [(k, lvl) for k, lvl, _ in result.added if not legal(k, lvl)]
        if illegal:
            tried.append(f"{p.name} would need " + ", ".join(
                f"{k} L{lvl} ({explain(k, lvl)})" for k, lvl in illegal))
            continue
        return p, result
    return tried
