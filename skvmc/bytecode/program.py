"""The in-memory program: constants, slots, instructions, line table, metadata; and the builder."""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

from skvmc.bytecode.isa import BY_MNEMONIC, POLICIES, TARGET_WORDS, InstrDef

FORMAT_VERSION = (1, 0)
SLOT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
MAX_EXIT_CODE = 255  # halt codes are process exit codes (8 bits)


class BytecodeError(Exception):
    """A malformed program: bad bytes (with ``offset``) or an ill-formed instruction."""

    def __init__(self, message: str, offset: int | None = None):
        self.offset = offset
        super().__init__(f"{message} (at byte offset {offset})" if offset is not None else message)


@attrs.frozen(slots=True)
class Const:
    """A ``val``/``args`` operand that reads constant-pool entry ``index``."""

    index: int


@attrs.frozen(slots=True)
class Slot:
    """A ``val``/``args`` operand that reads slot ``index``."""

    index: int


@attrs.frozen(slots=True)
class Json:
    """Wraps a value so the builder stores it as a JSON constant (e.g. a schema, a list)."""

    value: Any


@attrs.frozen(slots=True)
class Instr:
    op: str
    operands: tuple = ()

    @property
    def definition(self) -> InstrDef:
        return BY_MNEMONIC[self.op]


# Constant tags: the pool is typed so the encoding of "1" (str), 1 (int) and true (json) differ.
STR, INT, JSON = "str", "int", "json"


def const_kind(value: Any) -> str:
    if isinstance(value, Json):
        return JSON
    if isinstance(value, str):
        return STR
    if isinstance(value, int) and not isinstance(value, bool):
        return INT
    return JSON


def canonical_json(value: Any) -> str:
    """The one JSON text a JSON constant is stored as (so encoding is deterministic)."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise BytecodeError(f"constant is not JSON data: {exc}") from None


@attrs.frozen(slots=True)
class Program:
    """A decoded/built program.

    ``consts`` holds ``(kind, value)`` pairs; ``lines`` holds ``(instr_index, file, line)``
    entries with strictly increasing index; an instruction's source line is the last entry at
    or before it.
    """

    meta: dict = attrs.field(factory=dict, eq=True)
    consts: tuple = ()
    slots: tuple = ()
    code: tuple = ()
    lines: tuple = ()
    flags: int = 0
    version: tuple = FORMAT_VERSION

    def const_value(self, index: int) -> Any:
        return self.consts[index][1]

    def line_of(self, index: int) -> tuple[str, int] | None:
        found = None
        for at, file, line in self.lines:
            if at > index:
                break
            found = (file, line)
        return found

    def line_map(self) -> list:
        """Per instruction index, its (file, line) or None (computed once by the VM)."""
        out: list = [None] * len(self.code)
        entries = list(self.lines)
        cur, j = None, 0
        for i in range(len(self.code)):
            while j < len(entries) and entries[j][0] <= i:
                cur = (entries[j][1], entries[j][2])
                j += 1
            out[i] = cur
        return out

    def validate(self) -> None:
        """Check every operand against the table (ranges, kinds); raise BytecodeError."""
        n_code, n_const, n_slot = len(self.code), len(self.consts), len(self.slots)
        for kind, _value in self.consts:
            if kind not in (STR, INT, JSON):
                raise BytecodeError(f"constant has unknown kind {kind!r}")
        for name in self.slots:
            if not isinstance(name, str) or not SLOT_NAME.match(name):
                raise BytecodeError(f"bad slot name {name!r}")
        if len(set(self.slots)) != n_slot:
            raise BytecodeError("duplicate slot names")
        for i, ins in enumerate(self.code):
            d = BY_MNEMONIC.get(ins.op)
            if d is None:
                raise BytecodeError(f"instruction {i}: unknown mnemonic {ins.op!r}")
            if len(ins.operands) != len(d.operands):
                raise BytecodeError(f"instruction {i} ({ins.op}): expected "
                                    f"{len(d.operands)} operands, got {len(ins.operands)}")
            for spec, v in zip(d.operands, ins.operands):
                err = _check_operand(spec.kind, v, n_code, n_const, n_slot)
                if err:
                    raise BytecodeError(f"instruction {i} ({ins.op}) operand {spec.name}: {err}")
            if ins.op == "halt" and not 0 <= ins.operands[0] <= MAX_EXIT_CODE:
                # A process exit code is 8 bits: halt 256 would exit 0 ("ok").
                raise BytecodeError(f"instruction {i} (halt): exit code {ins.operands[0]} is out "
                                    f"of range 0..{MAX_EXIT_CODE}")
        last = -1
        for at, file, line in self.lines:
            if not (isinstance(at, int) and last < at < max(n_code, 1)):
                raise BytecodeError(f"line table entry for instruction {at} out of order/range")
            if not isinstance(file, str) or not isinstance(line, int) or line < 0:
                raise BytecodeError(f"bad line table entry {(at, file, line)!r}")
            last = at


def _check_operand(kind: str, v, n_code: int, n_const: int, n_slot: int) -> str | None:
    def idx(x, n, what):
        if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < n:
            return f"{what} index {x!r} out of range (0..{n - 1})"
        return None

    if kind == "slot":
        return idx(v, n_slot, "slot")
    if kind == "const":
        return idx(v, n_const, "constant")
    if kind == "optconst":
        return None if v is None else idx(v, n_const, "constant")
    if kind == "val":
        return _check_val(v, n_const, n_slot)
    if kind == "int":
        return None if isinstance(v, int) and not isinstance(v, bool) else f"not an int: {v!r}"
    if kind == "label":
        return idx(v, n_code, "label")
    if kind == "target":
        return None if v in TARGET_WORDS else idx(v, n_code, "label")
    if kind == "labels":
        if not isinstance(v, tuple):
            return "expected a tuple of labels"
        return next((e for e in (idx(x, n_code, "label") for x in v) if e), None)
    if kind == "args":
        if not isinstance(v, tuple):
            return "expected a tuple of values"
        return next((e for e in (_check_val(x, n_const, n_slot) for x in v) if e), None)
    if kind == "policy":
        return None if v in POLICIES else f"policy must be one of {POLICIES}"
    return f"unknown operand kind {kind}"


def _check_val(v, n_const, n_slot):
    if isinstance(v, Const):
        return None if 0 <= v.index < n_const else f"constant index {v.index} out of range"
    if isinstance(v, Slot):
        return None if 0 <= v.index < n_slot else f"slot index {v.index} out of range"
    return f"expected Const or Slot, got {v!r}"


@attrs.define(eq=False)
class Label:
    """A forward-referencable position; resolved to an instruction index by ``build``."""

    id: int
    at: int | None = None


class ProgramBuilder:
    """What the compiler backend calls to produce a :class:`Program`.

    Operands are given naturally: a slot by name (``"out"``) or :class:`Slot`; a constant by
    value (strings, ints; ``Json(x)``/dicts/lists for JSON) — deduplicated in the pool; a
    ``val`` operand as ``b.slot(name)`` or a constant value; labels from ``b.label()``.
    """

    def __init__(self, meta: dict | None = None, flags: int = 0):
        self.meta = dict(meta or {})
        canonical_json(self.meta)
        self.flags = flags
        self._consts: list = []
        self._const_index: dict = {}
        self._slots: list[str] = []
        self._slot_index: dict[str, int] = {}
        self._code: list[tuple[str, list]] = []
        self._labels: list[Label] = []
        self._lines: list = []

    # pools -----------------------------------------------------------------------------------
    def const(self, value: Any) -> int:
        kind = const_kind(value)
        raw = value.value if isinstance(value, Json) else value
        if kind == STR:
            try:
                raw.encode("utf-8")
            except UnicodeEncodeError:
                raise BytecodeError("string constant is not valid UTF-8 text") from None
        key = (kind, canonical_json(raw))
        if key not in self._const_index:
            if kind == JSON:
                raw = json.loads(key[1])  # normalize (tuples -> lists) so decode() == build()
            self._const_index[key] = len(self._consts)
            self._consts.append((kind, raw))
        return self._const_index[key]

    def slot(self, name: str) -> Slot:
        if isinstance(name, Slot):
            return name
        if not isinstance(name, str) or not SLOT_NAME.match(name):
            raise BytecodeError(f"bad slot name {name!r}")
        if name not in self._slot_index:
            self._slot_index[name] = len(self._slots)
            self._slots.append(name)
        return Slot(self._slot_index[name])

    def label(self) -> Label:
        lab = Label(len(self._labels))
        self._labels.append(lab)
        return lab

    def place(self, label: Label) -> None:
        if label.at is not None:
            raise BytecodeError(f"label {label.id} placed twice")
        label.at = len(self._code)

    # code ------------------------------------------------------------------------------------
    def emit(self, mnemonic: str, *operands, line: tuple[str, int] | None = None) -> int:
        d = BY_MNEMONIC.get(mnemonic)
        if d is None:
            raise BytecodeError(f"unknown instruction {mnemonic!r}")
        if len(operands) != len(d.operands):
            raise BytecodeError(f"{mnemonic} takes {len(d.operands)} operands "
                                f"({', '.join(o.name for o in d.operands)}), got {len(operands)}")
        converted = [self._operand(spec.kind, v) for spec, v in zip(d.operands, operands)]
        index = len(self._code)
        self._code.append((mnemonic, converted))
        if line is not None:
            file, lineno = line
            current = self._lines[-1][1:] if self._lines else None
            if current != (file, lineno):
                if self._lines and self._lines[-1][0] == index:
                    self._lines[-1] = (index, file, lineno)
                else:
                    self._lines.append((index, file, lineno))
        return index

    def _operand(self, kind: str, v):
        if kind == "slot":
            return self.slot(v).index
        if kind == "const":
            return self.const(v)
        if kind == "optconst":
            return None if v is None else self.const(v)
        if kind == "val":
            return self._val(v)
        if kind == "args":
            return tuple(self._val(x) for x in v)
        if kind in ("label", "target"):
            if kind == "target" and v in TARGET_WORDS:
                return v
            if not isinstance(v, Label):
                raise BytecodeError(f"expected a label, got {v!r}")
            return v
        if kind == "labels":
            return tuple(v)
        if kind == "int":
            if not isinstance(v, int) or isinstance(v, bool):
                raise BytecodeError(f"expected an int, got {v!r}")
            return v
        if kind == "policy":
            if v not in POLICIES:
                raise BytecodeError(f"policy must be one of {POLICIES}, got {v!r}")
            return v
        raise BytecodeError(f"unknown operand kind {kind}")

    def _val(self, v):
        if isinstance(v, (Slot, Const)):
            return v
        return Const(self.const(v))

    def build(self) -> Program:
        def resolve(x):
            if isinstance(x, Label):
                if x.at is None:
                    raise BytecodeError(f"label {x.id} used but never placed")
                return x.at
            if isinstance(x, tuple) and x and isinstance(x[0], Label):
                return tuple(resolve(y) for y in x)
            return x

        code = tuple(Instr(op, tuple(resolve(v) for v in ops)) for op, ops in self._code)
        lines = tuple(e for e in self._lines if e[0] < len(code))
        prog = Program(meta=json.loads(canonical_json(self.meta)), consts=tuple(self._consts),
                       slots=tuple(self._slots), code=code, lines=lines, flags=self.flags)
        prog.validate()
        return prog
