"""Declare an op's shape once; constructor checks and verifier rules follow from it.

An :class:`OpDef` lists operands, results, attributes (with type and whether required) and
the number of regions. ``OpDef.build`` checks arguments against that declaration when a pass
creates an op, and ``OpDef.check`` reports the same rules as diagnostics when the verifier
meets an op that came from text. This is the IRDL / ASDL idea: one declaration, many uses.

Attribute specs nest: an array declares its ``items``, a record-like dictionary its
``fields`` (closed: an undeclared key is an error), a map-like dictionary its ``values`` (and
optionally the allowed ``keys``). Problems name the path into the value,
e.g. ``attribute 'requires[0].level': expected int, got str``.

*Facts* are attributes that analyses attach to ops they did not create (``requires``,
``tools``, ...). Each is declared once, by the dialect that owns it (``Dialect.fact``); an op
accepts them by carrying a trait (:data:`CarriesFacts` for instructions,
:data:`CarriesModuleFacts` for the module). The verifier checks facts like any attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from skvmc.ir import UNKNOWN_LOC, FrozenDict, Location, Operation, Region, Type, freeze
from skvmc.memo import Bounded, ByIdentity


# What is wrong with an op by itself (its declaration, its declared facts), as (attribute key
# or None, message) pairs, by op object (the verifier's per-op check; ``OpDef.build`` records
# the ops it checked). The IR is immutable, so an op a pass left untouched has the problems
# it had when the previous pass's output was verified.
def _local_problems(op: Operation) -> tuple[tuple[str | None, str], ...]:
    opdef = lookup_op(op.name)
    if opdef is None:
        return ((None, "is not declared by any registered dialect"),)
    return tuple(opdef.located_problems(op))


LOCAL_PROBLEMS = ByIdentity(_local_problems)

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

_TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool", tuple: "array",
               FrozenDict: "dict", type(None): "none"}


@attrs.frozen
class AttrSpec:
    kind: str = "any"
    required: bool = True
    choices: tuple | None = None  # allowed values, when the attribute is an enumeration
    doc: str = ""
    items: AttrSpec | None = None  # arrays: the spec of every element
    fields: Mapping[str, AttrSpec] | None = None  # dicts as records: the (only) keys allowed
    values: AttrSpec | None = None  # dicts as maps: the spec of every value
    keys: tuple | None = None  # dicts as maps: the allowed keys
    min: int | None = None  # ints: inclusive bounds
    max: int | None = None

    def ok(self, value: Any) -> bool:
        """``not self.problems(value, path)``, without building a message (the verifier asks
        for every attribute of every op a pass rebuilt; nearly all of them are fine)."""
        if not _KINDS[self.kind](value):
            return False
        if self.choices is not None and value not in self.choices:
            return False
        if self.kind == "int" and ((self.min is not None and value < self.min)
                                   or (self.max is not None and value > self.max)):
            return False
        if self.items is not None:
            item_ok = self.items.ok
            for item in value:
                if not item_ok(item):
                    return False
        if self.fields is None and self.keys is None and self.values is None:
            return True
        if type(value) is not FrozenDict:  # a dict spec of another kind: the general rules
            return not self.problems(value, "")
        items = value._items  # its dict, not the Mapping API (a call per key)
        if self.fields is not None:
            fields = self.fields
            for key, spec in fields.items():
                if key in items:
                    if not spec.ok(items[key]):
                        return False
                elif spec.required:
                    return False
            if len(items) > len(fields):
                return False
            for key in items:
                if key not in fields:
                    return False
        if self.keys is not None:
            for key in items:
                if key not in self.keys:
                    return False
        if self.values is not None:
            value_ok = self.values.ok
            for item in items.values():
                if not value_ok(item):
                    return False
        return True

    def problems(self, value: Any, path: str) -> list[str]:
        """Every way ``value`` breaks this spec, each naming ``path`` (e.g. ``'reads[1]'``)."""
        if not _KINDS[self.kind](value):
            got = _TYPE_NAMES.get(type(value), type(value).__name__)
            return [f"attribute '{path}': expected {self.kind}, got {got}"]
        if self.choices is not None and value not in self.choices:
            return [f"attribute '{path}': expected one of {', '.join(map(repr, self.choices))}, "
                    f"got {value!r}"]
        if self.kind == "int" and ((self.min is not None and value < self.min)
                                   or (self.max is not None and value > self.max)):
            return [f"attribute '{path}': expected {self.min}..{self.max}, got {value}"]
        out: list[str] = []
        if self.items is not None:
            for i, item in enumerate(value):
                out += self.items.problems(item, f"{path}[{i}]")
        if self.fields is not None:
            for key, spec in self.fields.items():
                if key in value:
                    out += spec.problems(value[key], f"{path}.{key}")
                elif spec.required:
                    out.append(f"attribute '{path}': missing key '{key}'")
            for key in value:
                if key not in self.fields:
                    out.append(f"attribute '{path}': unknown key '{key}'")
        if self.keys is not None:
            for key in value:
                if key not in self.keys:
                    out.append(f"attribute '{path}': unknown key '{key}' (expected one of "
                               f"{', '.join(self.keys)})")
        if self.values is not None:
            for key, item in value.items():
                out += self.values.problems(item, f"{path}.{key}")
        return out


def attr(kind: str = "any", required: bool = True, choices=None, doc: str = "", *,
         items: AttrSpec | None = None, fields: Mapping[str, AttrSpec] | None = None,
         values: AttrSpec | None = None, keys=None, min: int | None = None,
         max: int | None = None) -> AttrSpec:
    return AttrSpec(kind, required, tuple(choices) if choices is not None else None, doc,
                    items, dict(fields) if fields is not None else None, values,
                    tuple(keys) if keys is not None else None, min, max)


def opt(kind: str = "any", choices=None, doc: str = "", **nested) -> AttrSpec:
    return attr(kind, False, choices, doc, **nested)


def array_of(item: AttrSpec, required: bool = True, doc: str = "") -> AttrSpec:
    return attr("array", required, doc=doc, items=item)


ANY = None  # an operand/result type constraint that accepts any type


@attrs.frozen
class Fact:
    """An attribute an analysis may attach to ops carrying the trait for ``scope``."""

    name: str
    dialect: str  # the owning dialect
    spec: AttrSpec
    scope: str = "instruction"


@attrs.frozen
class Trait:
    """An op property; ``facts`` names the fact scope whose declared facts the op accepts."""

    name: str
    facts: str | None = None


CarriesFacts = Trait("CarriesFacts", facts="instruction")
CarriesModuleFacts = Trait("CarriesModuleFacts", facts="module")

# The dialects that declare facts (loaded when a fact-carrying op is checked).
FACT_DIALECTS = ("cap", "env", "flow", "prompt")


_facts_version = 0  # counts Dialect.fact declarations: the memos below are valid for one count
_declared: dict[tuple[str, int], dict[str, Fact]] = {}
_op_facts: dict[tuple[tuple[str, ...], int], dict[str, Fact]] = {}  # OpDef.facts by scopes


def declared_facts(scope: str) -> dict[str, Fact]:
    """Every fact of ``scope`` declared by the fact dialects, by attribute name (do not
    modify: the verifier asks for it for every op carrying facts)."""
    dialects = [get_dialect(name) for name in FACT_DIALECTS]  # loads them, declaring facts
    hit = _declared.get((scope, _facts_version))
    if hit is not None:
        return hit
    out: dict[str, Fact] = {}
    for dialect in dialects:
        for fact in (dialect.facts.values() if dialect else ()):
            if fact.scope == scope:
                out[fact.name] = fact
    _declared[(scope, _facts_version)] = out
    return out


# The problems of an array or dictionary attribute value against a spec, by the identity of
# both: a pass that rebuilds an op keeps the values of the attributes it did not change, so
# an op rebuilt for another target's tools re-checks only those. Entries hold their value
# and spec (an id is not reused while its object lives); emptied when full.
_CHECKED: Bounded = Bounded(20000)


def _value_problems(spec: AttrSpec, value, path: str) -> list[str]:
    if type(value) is not tuple and type(value) is not FrozenDict:
        return spec.problems(value, path)  # a scalar: checking it is cheaper than a look-up
    key = (id(spec), id(value), path)
    hit = _CHECKED.get(key)
    if hit is not None and hit[0] is spec and hit[1] is value:
        return list(hit[2])
    problems = [] if spec.ok(value) else spec.problems(value, path)
    _CHECKED.put(key, (spec, value, tuple(problems)))
    return problems


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
    traits: tuple = ()  # Trait objects, e.g. (CarriesFacts,)
    verify_extra: Callable[[Operation], list[str]] | None = None  # per-op rules beyond shape

    @property
    def dialect(self) -> str:
        return self.name.split(".", 1)[0]

    def facts(self) -> dict[str, Fact]:
        """The facts this op accepts besides its own attributes (through its traits); do not
        modify (it is kept for the current set of declared facts)."""
        scopes = tuple(trait.facts for trait in self.traits if trait.facts)
        out = _op_facts.get((scopes, _facts_version))
        if out is None:
            for scope in scopes:
                declared_facts(scope)  # loads the fact dialects (which declare more facts)
            out = {}
            for scope in scopes:
                out.update(declared_facts(scope))
            _op_facts[(scopes, _facts_version)] = out
        return out

    def is_valid(self, op: Operation) -> bool:
        """``not self.located_problems(op)``, in one pass that stops at the first problem and
        builds no message: what the verifier and ``build`` ask of nearly every op."""
        operands = op.operands
        variadic = self.variadic_operands
        if variadic is False:
            if len(operands) != len(self.operands):
                return False
            for want, value in zip(self.operands, operands):
                if want is not ANY and value.type is not want and value.type != want:
                    return False
        elif isinstance(variadic, Type):
            for value in operands:
                if value.type is not variadic and value.type != variadic:
                    return False
        if len(op.results) != len(self.results):
            return False
        for want, value in zip(self.results, op.results):
            if want is not ANY and value.type is not want and value.type != want:
                return False
        if len(op.regions) != self.regions:
            return False
        present = op.attributes
        declared = self.attributes
        seen = 0
        for key, spec in declared.items():
            if key in present:
                seen += 1
                if not spec.ok(present[key]):
                    return False
            elif spec.required:
                return False
        if seen != len(present):  # attributes beyond the declared ones: facts, or unknown
            facts = self.facts()
            for key in present:
                if key not in declared:
                    fact = facts.get(key)
                    if fact is None or not fact.spec.ok(present[key]):
                        return False
        return self.verify_extra is None or not self.verify_extra(op)

    def problems(self, op: Operation) -> list[str]:
        """Every way ``op`` breaks this declaration, as messages (empty when it is fine)."""
        return [message for _, message in self.located_problems(op)]

    def located_problems(self, op: Operation) -> list[tuple[str | None, str]]:
        """Like :meth:`problems`, each with the attribute it is about (None: the op itself)."""
        if self.is_valid(op):
            return []
        out: list[str] = []
        about: list[str | None] = []

        def note(key: str | None, messages) -> None:
            for message in messages:
                out.append(message)
                about.append(key)

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
        about.extend([None] * (len(out) - len(about)))
        for key, spec in self.attributes.items():
            if key not in op.attributes:
                if spec.required:
                    note(None, [f"missing required attribute '{key}'"])
                continue
            note(key, _value_problems(spec, op.attributes[key], key))
        extra = [key for key in op.attributes if key not in self.attributes]
        facts = self.facts() if extra else {}
        for key in extra:
            if key in facts:
                note(key, _value_problems(facts[key].spec, op.attributes[key], key))
            else:
                note(key, [f"unknown attribute '{key}'"])
        if not out and self.verify_extra is not None:
            note(None, self.verify_extra(op))
        return list(zip(about, out))

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
        if not self.is_valid(op):
            raise ValueError(f"invalid {self.name}: " + "; ".join(self.problems(op)))
        if lookup_op(self.name) is self:  # what the verifier would find, found already
            LOCAL_PROBLEMS.put(op, ())
        return op

    def __call__(self, **kwargs) -> Operation:
        return self.build(**kwargs)


class Dialect:
    """A named group of op definitions and types."""

    def __init__(self, name: str, summary: str = ""):
        self.name = name
        self.summary = summary
        self.ops: dict[str, OpDef] = {}
        self.types: dict[str, Type] = {}
        self.facts: dict[str, Fact] = {}

    def type(self, name: str) -> Type:
        t = Type(self.name, name)
        self.types[name] = t
        return t

    def op(self, short_name: str, summary: str = "", **spec) -> OpDef:
        opdef = OpDef(f"{self.name}.{short_name}", summary, **spec)
        self.ops[opdef.name] = opdef
        return opdef

    def fact(self, name: str, spec: AttrSpec, scope: str = "instruction") -> Fact:
        """Declare an attribute analyses attach to ops with the trait for ``scope``."""
        global _facts_version
        fact = Fact(name, self.name, attrs.evolve(spec, required=False), scope)
        self.facts[name] = fact
        _facts_version += 1
        return fact


# Dialect modules are imported on first use, so `skvmc --help` stays cheap.
_DIALECT_MODULES = {
    "builtin": "skvmc.dialects.builtin",
    "skill": "skvmc.dialects.skill",
    "cap": "skvmc.dialects.cap",
    "env": "skvmc.dialects.env",
    "flow": "skvmc.dialects.flow",
    "prompt": "skvmc.dialects.prompt",
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
