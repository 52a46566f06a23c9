"""Declare an op's shape once; constructor checks and verifier rules follow from it.

An :class:`OpDef` lists operands, results, attributes (with type and whether required) and
the number of regions. ``OpDef.build`` checks arguments against that declaration when a pass
creates an op, and ``OpDef.check`` reports the same rules as diagnostics when the verifier
meets an op that came from text. This is the IRDL / ASDL idea: one declaration, many uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from skvmc.ir import FrozenDict, Location, Operation, Region, Type, UNKNOWN_LOC, Value, freeze

# Attribute kinds: a name users read in errors, and a predicate over attribute values.
_KINDS: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, tuple),
    "dict": lambda v: isinstance(v, FrozenDict),
    "any": lambda v: True,
}


@attrs.frozen
class AttrSpec:
    kind: str = "any"
    required: bool = True
    choices: tuple | None = None  # allowed values, when the attribute is an enumeration
    doc: str = ""

    def problem(self, value: Any) -> str | None:
        if not _KINDS[self.kind](value):
            return f"expected {self.kind}, got {type(value).__name__}"
        if self.choices is not None and value not in self.choices:
            return f"expected one of {', '.join(map(repr, self.choices))}, got {value!r}"
        return None


def attr(kind: str = "any", required: bool = True, choices=None, doc: str = "") -> AttrSpec:
    return AttrSpec(kind, required, tuple(choices) if choices is not None else None, doc)


def opt(kind: str = "any", choices=None, doc: str = "") -> AttrSpec:
    return attr(kind, False, choices, doc)


ANY = None  # an operand/result type constraint that accepts any type


@attrs.frozen
class OpDef:
    """The declared shape of one op."""

    name: str
    summary: str = ""
    operands: tuple = ()  # per operand: a Type or ANY; see ``variadic_operands``
    variadic_operands: Type | None | bool = False  # True/Type: any number of operands
    results: tuple = ()  # per result: a Type or ANY
    attributes: Mapping[str, AttrSpec] = attrs.field(factory=dict)
    regions: int = 0
    allow_extra_attributes: bool = False
    verify_extra: Callable[[Operation], list[str]] | None = None  # per-op rules beyond shape

    @property
    def dialect(self) -> str:
        return self.name.split(".", 1)[0]

    def problems(self, op: Operation) -> list[str]:
        """Every way ``op`` breaks this declaration, as messages (empty when it is fine)."""
        out: list[str] = []
        if self.variadic_operands is False:
            if len(op.operands) != len(self.operands):
                out.append(f"expects {len(self.operands)} operand(s), has {len(op.operands)}")
            else:
                for i, (want, value) in enumerate(zip(self.operands, op.operands)):
                    if want is not ANY and value.type != want:
                        out.append(f"operand #{i} must be {want}, is {value.type}")
        elif isinstance(self.variadic_operands, Type):
            for i, value in enumerate(op.operands):
                if value.type != self.variadic_operands:
                    out.append(f"operand #{i} must be {self.variadic_operands}, is {value.type}")
        if len(op.results) != len(self.results):
            out.append(f"expects {len(self.results)} result(s), has {len(op.results)}")
        else:
            for i, (want, value) in enumerate(zip(self.results, op.results)):
                if want is not ANY and value.type != want:
                    out.append(f"result #{i} must be {want}, is {value.type}")
        if len(op.regions) != self.regions:
            out.append(f"expects {self.regions} region(s), has {len(op.regions)}")
        for key, spec in self.attributes.items():
            if key not in op.attributes:
                if spec.required:
                    out.append(f"missing required attribute '{key}'")
                continue
            problem = spec.problem(op.attributes[key])
            if problem:
                out.append(f"attribute '{key}': {problem}")
        if not self.allow_extra_attributes:
            for key in op.attributes:
                if key not in self.attributes:
                    out.append(f"unknown attribute '{key}'")
        if not out and self.verify_extra is not None:
            out.extend(self.verify_extra(op))
        return out

    def build(
        self,
        *,
        operands=(),
        results=(),
        regions=None,
        loc: Location = UNKNOWN_LOC,
        **attributes: Any,
    ) -> Operation:
        """Create an op of this kind, checking it against the declaration.

        ``results`` are Values (the caller names them, usually with ``fresh_namer``).
        ``regions`` defaults to the declared number of empty regions. Attributes whose value is
        ``None`` are left out.
        """
        if regions is None:
            regions = tuple(Region(()) for _ in range(self.regions))
        regions = tuple(r if isinstance(r, Region) else Region(tuple(r)) for r in regions)
        op = Operation(
            self.name,
            operands=tuple(operands),
            results=tuple(results),
            attributes=FrozenDict({k: freeze(v) for k, v in attributes.items() if v is not None}),
            regions=regions,
            loc=loc,
        )
        problems = self.problems(op)
        if problems:
            raise ValueError(f"invalid {self.name}: " + "; ".join(problems))
        return op

    def result_types(self) -> tuple:
        return self.results

    def __call__(self, **kwargs) -> Operation:
        return self.build(**kwargs)


class Dialect:
    """A named group of op definitions and types."""

    def __init__(self, name: str, summary: str = ""):
        self.name = name
        self.summary = summary
        self.ops: dict[str, OpDef] = {}
        self.types: dict[str, Type] = {}

    def type(self, name: str) -> Type:
        t = Type(self.name, name)
        self.types[name] = t
        return t

    def op(self, short_name: str, summary: str = "", **spec) -> OpDef:
        opdef = OpDef(f"{self.name}.{short_name}", summary, **spec)
        self.ops[opdef.name] = opdef
        return opdef


# Dialect modules are imported on first use, so `skvmc --help` stays cheap.
_DIALECT_MODULES = {
    "builtin": "skvmc.dialects.builtin",
    "skill": "skvmc.dialects.skill",
    "cap": "skvmc.dialects.cap",
    "env": "skvmc.dialects.env",
    "flow": "skvmc.dialects.flow",
    "prompt": "skvmc.dialects.prompt",
    "vm": "skvmc.dialects.vm",
}
_loaded: dict[str, Dialect | None] = {}


def get_dialect(name: str) -> Dialect | None:
    if name not in _loaded:
        module_name = _DIALECT_MODULES.get(name)
        if module_name is None:
            _loaded[name] = None
        else:
            import importlib

            try:
                _loaded[name] = importlib.import_module(module_name).DIALECT
            except ModuleNotFoundError as err:
                if err.name != module_name:
                    raise
                _loaded[name] = None
    return _loaded[name]


def lookup_op(name: str) -> OpDef | None:
    dialect = get_dialect(name.split(".", 1)[0])
    return dialect.ops.get(name) if dialect else None


def known_dialects() -> list[str]:
    return sorted(_DIALECT_MODULES)


def values_named(next_name, *types: Type) -> tuple[Value, ...]:
    """Fresh result values of the given types, named by ``next_name``."""
    return tuple(Value(next_name(), t) for t in types)
