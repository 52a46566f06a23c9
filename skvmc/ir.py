"""The IR core: locations, types, values, operations and regions.

Everything is immutable (frozen, slotted attrs classes). A pass is a pure function from one
module to another; it rebuilds what it changes with ``attrs.evolve``. Locations ride on every
operation but take no part in equality, so "the pass changed nothing" is ``before == after``.

Attribute values are plain Python data restricted to: str, int, float, bool, None, tuples of
attribute values, and :class:`FrozenDict` of str -> attribute value. That keeps them hashable
and makes the textual form obvious.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from skvmc.memo import ByIdentity


class FrozenDict(Mapping):
    """An insertion-ordered, hashable, read-only mapping used for dictionary attributes."""

    __slots__ = ("_items", "_hash", "_deep")

    def __init__(self, items: Mapping | tuple = ()):
        if type(items) is dict:  # the common case: no ABC check, one copy
            self._items = dict(items)
        else:
            self._items = dict(tuple(items.items()) if isinstance(items, Mapping)
                               else tuple(items))
        self._hash = None
        self._deep = False  # True: built by freeze(), so every value is an attribute value

    @classmethod
    def _adopt(cls, items: dict) -> FrozenDict:
        """A FrozenDict around ``items`` itself (a dict nobody else holds), not a copy."""
        new = cls.__new__(cls)
        new._items = items
        new._hash = None
        new._deep = False
        return new

    def __getitem__(self, key):
        return self._items[key]

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    # straight to the dict: Mapping's mixins go through __getitem__ (and an exception for a
    # missing key), on the hottest path of every pass (``Operation.attr``)
    def get(self, key, default=None):
        return self._items.get(key, default)

    def __contains__(self, key):
        return key in self._items

    def keys(self):
        return self._items.keys()

    def items(self):
        return self._items.items()

    def values(self):
        return self._items.values()

    def __hash__(self):
        if self._hash is None:
            self._hash = hash(tuple(self._items.items()))
        return self._hash

    def __eq__(self, other):
        if isinstance(other, FrozenDict):
            return tuple(self._items.items()) == tuple(other._items.items())
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __repr__(self):
        return f"FrozenDict({self._items!r})"

    def set(self, key: str, value) -> FrozenDict:
        """A copy with ``key`` set (kept in place if present, appended otherwise)."""
        new = dict(self._items)
        new[key] = value
        return FrozenDict(new)

    def without(self, key: str) -> FrozenDict:
        return FrozenDict({k: v for k, v in self._items.items() if k != key})


_SCALARS = frozenset({str, int, float, bool, type(None)})


def freeze(value: Any) -> Any:
    """Turn JSON-like Python data into attribute values (lists -> tuples, dicts -> FrozenDict).
    A value that already is one is returned as it is (an attribute value is immutable)."""
    kind = type(value)
    if kind in _SCALARS:  # the exact types, checked first: most values are strings
        return value
    if kind is FrozenDict and value._deep:
        return value
    if kind is tuple:
        items = [freeze(v) for v in value]
        if all(a is b for a, b in zip(items, value)):
            return value
        return tuple(items)
    if kind is list:
        return tuple([freeze(v) for v in value])
    if kind is dict or kind is FrozenDict:  # before the Mapping check (an ABC: slow)
        frozen = FrozenDict._adopt({str(k): freeze(v) for k, v in value.items()})
        frozen._deep = True
        return frozen
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, Mapping):
        frozen = FrozenDict({str(k): freeze(v) for k, v in value.items()})
        frozen._deep = True
        return frozen
    if isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"not an attribute value: {value!r} ({type(value).__name__})")


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: attribute values back to JSON-able lists and dicts."""
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    if isinstance(value, FrozenDict):
        return {k: thaw(v) for k, v in value.items()}
    return value


@attrs.frozen(slots=True)
class Location:
    """A point in a source file: 1-based line and column."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


UNKNOWN_LOC = Location("<unknown>", 0, 0)


@attrs.frozen(slots=True)
class Type:
    """An IR type such as ``!skill.value``; ``dialect`` is empty for builtin types."""

    dialect: str
    name: str

    def __str__(self) -> str:
        return f"!{self.dialect}.{self.name}" if self.dialect else self.name


@attrs.frozen(slots=True)
class Value:
    """An SSA value: its name (without ``%``) and its type."""

    name: str
    type: Type

    def __str__(self) -> str:
        return f"%{self.name}"


def _same(a, b) -> bool:
    """Attribute values that print the same: equal and of the same types all the way down
    (``1 == True`` and ``0.0 == -0.0`` do not count)."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is str or kind is int or kind is bool:
        return a == b
    if kind is tuple:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if kind is FrozenDict:
        return (len(a) == len(b) and all(ka == kb and _same(va, vb) for (ka, va), (kb, vb)
                                         in zip(a.items(), b.items())))
    return False


def _attr_converter(value):
    return value if isinstance(value, FrozenDict) else freeze(dict(value))


@attrs.frozen(slots=True)
class Region:
    """A single-block region: an ordered tuple of operations."""

    ops: tuple[Operation, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen(slots=True)
class Operation:
    """A generic operation. Op definitions (``skvmc.opdef``) give each name its shape."""

    name: str
    operands: tuple[Value, ...] = attrs.field(default=(), converter=tuple)
    results: tuple[Value, ...] = attrs.field(default=(), converter=tuple)
    attributes: FrozenDict = attrs.field(factory=FrozenDict, converter=_attr_converter)
    regions: tuple[Region, ...] = attrs.field(default=(), converter=tuple)
    loc: Location = attrs.field(default=UNKNOWN_LOC, eq=False, hash=False)
    # where each attribute key was written, for IR read from text (diagnostics only)
    # (one shared empty mapping by default: most ops are built by passes, not read from text)
    attr_locs: Mapping[str, Location] = attrs.field(default=FrozenDict(), eq=False, hash=False,
                                                    repr=False)
    # values of pure functions of this (immutable) op, by memo (``skvmc.memo.ByIdentity``):
    # they live and die with the op, and a copy (``attrs.evolve``) starts without them
    _memo: tuple | None = attrs.field(default=None, init=False, eq=False, hash=False,
                                     repr=False)

    def attr_loc(self, key: str) -> Location:
        """Where attribute ``key`` was written (the op's location when unknown)."""
        return self.attr_locs.get(key, self.loc)

    @property
    def dialect(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def result(self) -> Value:
        if len(self.results) != 1:
            raise ValueError(f"{self.name} has {len(self.results)} results, not one")
        return self.results[0]

    def attr(self, key: str, default: Any = None) -> Any:
        return self.attributes._items.get(key, default)  # the hottest call of every pass

    def with_attrs(self, **updates: Any) -> Operation:
        """A copy with attributes set; a value of ``None`` removes the attribute. The op
        itself when that changes nothing (a pass that re-derives a fact leaves the op, and so
        what the verifier and the other memos know of it, as it was)."""
        new = dict(self.attributes)
        changed = False
        for key, value in updates.items():
            if value is None:
                if key in new:
                    del new[key]
                    changed = True
            else:
                value = freeze(value)
                if not changed and not (key in new and _same(new[key], value)):
                    changed = True
                new[key] = value
        return attrs.evolve(self, attributes=FrozenDict(new)) if changed else self

    def with_ops(self, ops, region: int = 0) -> Operation:
        """A copy whose ``region``-th region holds ``ops``."""
        regions = list(self.regions)
        regions[region] = Region(tuple(ops))
        return attrs.evolve(self, regions=tuple(regions))

    @property
    def body(self) -> tuple[Operation, ...]:
        """The operations of the first region (empty when the op has none)."""
        return self.regions[0].ops if self.regions else ()

    def walk(self) -> Iterator[Operation]:
        """Pre-order walk over this op and every op nested in its regions."""
        if self.name != MODULE_OP:
            return self._walk()
        kept = _module_walk.get(self)  # the passes and each backend walk one module again
        return iter(kept) if kept is not None else self._walk_and_keep()

    def _walk_and_keep(self) -> Iterator[Operation]:
        """The walk, kept on the module when it ran to the end and is small (a 1 MB skill's
        module is walked by fewer passes, and its peak memory has a budget)."""
        seen: list | None = []
        for op in self._walk():
            if seen is not None:
                seen.append(op)
                if len(seen) > WALK_KEEP_MAX:
                    seen = None
            yield op
        if seen is not None:
            _module_walk.put(self, tuple(seen))

    def _walk(self) -> Iterator[Operation]:
        # an explicit stack: nested generators (``yield from``) cost every op its depth
        stack = [self]
        while stack:
            op = stack.pop()
            yield op
            for region in reversed(op.regions):
                stack.extend(reversed(region.ops))


MODULE_OP = "builtin.module"

# A module's walk as a tuple, kept on the module object (it dies with it): each target's
# passes and its six backends walked the same module ~10 times. Only modules (not every
# nested op a pass walks) and only up to WALK_KEEP_MAX ops keep one.
_module_walk = ByIdentity(None)
WALK_KEEP_MAX = 20_000


def module(ops=(), attributes: Mapping | None = None, loc: Location = UNKNOWN_LOC) -> Operation:
    """Build the top-level ``builtin.module`` holding ``ops``."""
    return Operation(
        MODULE_OP, attributes=FrozenDict(freeze(dict(attributes or {}))),
        regions=(Region(tuple(ops)),), loc=loc,
    )


def fresh_namer(root: Operation):
    """A function returning value names not used anywhere in ``root`` (numbers, counting up)."""
    used = {v.name for op in root.walk() for v in op.results}
    counter = 0
    for name in used:
        if name.isdigit():
            counter = max(counter, int(name) + 1)

    def next_name() -> str:
        nonlocal counter
        while str(counter) in used:
            counter += 1
        name = str(counter)
        used.add(name)
        counter += 1
        return name

    return next_name


def map_ops(root: Operation, fn) -> Operation:
    """Rebuild ``root`` bottom-up, replacing each nested op by ``fn(op)``.

    ``fn`` returns an Operation, ``None`` (drop it) or a list of Operations (splice them).
    ``root`` itself is not passed to ``fn``. Unchanged subtrees are returned as-is, so a
    no-op rewrite keeps object identity as well as equality.
    """
    if not root.regions:
        return root
    new_regions = []
    changed = False
    for region in root.regions:
        new_ops: list[Operation] = []
        for op in region.ops:
            inner = map_ops(op, fn)
            out = fn(inner)
            if out is None:
                changed = True
                continue
            if isinstance(out, Operation):
                out = [out]
            if len(out) != 1 or out[0] is not op:
                changed = True
            new_ops.extend(out)
        new_regions.append(Region(tuple(new_ops)) if changed else region)
    if not changed:
        return root
    return attrs.evolve(root, regions=tuple(new_regions))
