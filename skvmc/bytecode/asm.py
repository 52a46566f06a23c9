"""``.skasm``: disassemble a Program to text and assemble text back.

``assemble(disassemble(p))`` is ``p`` again, so both encode to identical bytes: the text lists
the header, metadata, the constant pool and the slots explicitly, in pool order. Hand-written
text may also put literals (``"text"``, ``42``, ``{...}``) where a constant is expected; they
are added to the pool.
"""

from __future__ import annotations

import json

from skvmc import safejson
from skvmc.bytecode.isa import BY_MNEMONIC, POLICIES, TARGET_WORDS
from skvmc.bytecode.program import (
    INT,
    JSON,
    MAX_EXIT_CODE,
    SLOT_NAME,
    STR,
    BytecodeError,
    Const,
    Instr,
    Program,
    Slot,
    canonical_json,
)

MAX_ASM_DEPTH = 128  # literal nesting, as for JSON constants in .skbc


class AsmError(BytecodeError):
    """A ``.skasm`` error; ``str()`` is ``file:line:col: error: message``."""

    def __init__(self, file: str, line: int, col: int, message: str):
        self.file, self.line, self.col, self.message = file, line, col, message
        Exception.__init__(self, f"{file}:{line}:{col}: error: {message}")
        self.offset = None


# -- disassembly ------------------------------------------------------------------------------

def _lit(value) -> str:
    return json.dumps(value, ensure_ascii=True, sort_keys=True, allow_nan=False)


def _preview(program: Program, v) -> str | None:
    if isinstance(v, Const):
        text = _lit(program.const_value(v.index))
        return text if len(text) <= 40 else text[:37] + "..."
    return None


def disassemble(program: Program) -> str:
    """The ``.skasm`` text of ``program``."""
    p = program
    targets: set[int] = set()
    for ins in p.code:
        for spec, v in zip(ins.definition.operands, ins.operands):
            if spec.kind in ("label", "target") and isinstance(v, int):
                targets.add(v)
            elif spec.kind == "labels":
                targets.update(v)

    out = [f"; skvmc bytecode: {_lit(p.meta.get('skill', p.meta.get('name', '?')))}",
           f".skbc {p.version[0]} {p.version[1]}",
           f".flags {p.flags}",
           f".meta {_lit(p.meta)}"]
    for i, (kind, value) in enumerate(p.consts):
        out.append(f".const #{i} {kind} {_lit(value)}")
    for name in p.slots:
        out.append(f".slot ${name}")

    line_at = {at: (file, line) for at, file, line in p.lines}
    for i, ins in enumerate(p.code):
        if i in line_at:
            file, line = line_at[i]
            out.append(f".loc {_lit(file)} {line}")
        if i in targets:
            out.append(f"L{i}:")
        texts, notes = [], []
        for spec, v in zip(ins.definition.operands, ins.operands):
            texts.append(_operand_text(p, spec.kind, v))
            if spec.kind in ("const", "optconst") and v is not None:
                notes.append(_preview(p, Const(v)))
            elif spec.kind == "val":
                notes.append(_preview(p, v))
            elif spec.kind == "args":
                notes.extend(_preview(p, x) for x in v)
        line = f"    {ins.op}" + (" " + ", ".join(texts) if texts else "")
        notes = [n for n in notes if n]
        if notes:
            line = f"{line:<40} ; " + " ".join(notes)
        out.append(line)
    return "\n".join(out) + "\n"


def _operand_text(p: Program, kind: str, v) -> str:
    if kind == "slot":
        return f"${p.slots[v]}"
    if kind == "const":
        return f"#{v}"
    if kind == "optconst":
        return "none" if v is None else f"#{v}"
    if kind == "val":
        return f"${p.slots[v.index]}" if isinstance(v, Slot) else f"#{v.index}"
    if kind == "int":
        return str(v)
    if kind == "label":
        return f"@L{v}"
    if kind == "target":
        return v if isinstance(v, str) else f"@L{v}"
    if kind == "labels":
        return "[" + ", ".join(f"@L{x}" for x in v) + "]"
    if kind == "args":
        return "[" + ", ".join(_operand_text(p, "val", x) for x in v) + "]"
    if kind == "policy":
        return v
    raise BytecodeError(f"unknown operand kind {kind}")  # pragma: no cover


# -- assembly ---------------------------------------------------------------------------------

class _Node:
    """A parsed value with its position: kind in string/number/word/constref/..."""

    __slots__ = ("col", "kind", "line", "value")

    def __init__(self, kind, value, line, col):
        self.kind, self.value, self.line, self.col = kind, value, line, col


def _to_nodes(tree) -> list:
    from lark import Token

    def conv(t):
        if isinstance(t, Token):  # pragma: no cover - values are always wrapped in a rule
            return _Node("word", str(t), t.line, t.column)
        kind = t.data
        if kind in ("list", "object"):
            items = [conv(c) for c in t.children if c is not None]
            first = _first_token(t)
            return _Node(kind, items, first[0], first[1])
        if kind == "pair":
            key, val = t.children
            return _Node("pair", (json.loads(str(key)), conv(val)), key.line, key.column)
        tok = t.children[0]
        return _Node(kind, str(tok), tok.line, tok.column)

    items = []
    for item in tree.children:
        if item.data == "directive":
            tok = item.children[0]
            items.append(("directive", str(tok), [conv(c) for c in item.children[1:]],
                          tok.line, tok.column))
        elif item.data == "label_def":
            tok = item.children[0]
            items.append(("label", str(tok), [], tok.line, tok.column))
        else:
            tok = item.children[0]
            items.append(("instr", str(tok), [conv(c) for c in item.children[1:] if c is not None],
                          tok.line, tok.column))
    return items


def _first_token(tree):
    from lark import Token

    for tok in tree.scan_values(lambda v: isinstance(v, Token)):
        return tok.line, tok.column
    meta = getattr(tree, "meta", None)
    return (getattr(meta, "line", 0) or 0, getattr(meta, "column", 0) or 0)


def assemble(text: str, file: str = "<skasm>") -> Program:
    """Parse ``.skasm`` text; errors raise :class:`AsmError` (``file:line:col: error: ...``)."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    from skvmc.grammar import load

    parser = load("skasm", propagate_positions=True)
    deep = safejson.depth_error(text, MAX_ASM_DEPTH)  # nested [..] / {..} literals
    if deep is not None:
        raise AsmError(file, deep.lineno, deep.colno, f"literal {deep.msg}")
    try:
        tree = parser.parse(text)
    except UnexpectedToken as exc:
        tok = exc.token
        what = "end of input" if tok.type == "$END" else f"{tok.type.lower()} {str(tok)!r}"
        raise AsmError(file, exc.line if exc.line > 0 else text.count("\n") + 1,
                       max(exc.column, 1), f"unexpected {what}") from None
    except UnexpectedCharacters as exc:
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else "?"
        raise AsmError(file, exc.line, exc.column, f"unexpected character {ch!r}") from None
    except UnexpectedEOF:
        raise AsmError(file, text.count("\n") + 1, 1, "unexpected end of input") from None
    return _Assembler(file).run(_to_nodes(tree))


class _Assembler:
    def __init__(self, file: str):
        self.file = file
        self.version = (1, 0)
        self.flags = 0
        self.meta: dict = {}
        self.consts: list = []
        self.const_keys: dict = {}
        self.slots: list[str] = []
        self.labels: dict[str, int] = {}
        self.code: list = []  # (mnemonic, [nodes], line, col)
        self.lines: list = []

    def err(self, node_or_pos, message: str):
        if isinstance(node_or_pos, _Node):
            line, col = node_or_pos.line, node_or_pos.col
        else:
            line, col = node_or_pos
        raise AsmError(self.file, line, col, message)

    # values
    def literal(self, n: _Node):
        """A JSON-ish literal value of a node (strings, numbers, true/false/null, [..], {..})."""
        if n.kind == "string":
            try:
                return json.loads(n.value)
            except json.JSONDecodeError as exc:
                self.err(n, f"bad string literal: {exc.msg}")
        if n.kind == "number":
            try:
                return safejson.loads(n.value)
            except ValueError as exc:
                self.err(n, f"bad number: {exc.msg}")
        if n.kind == "word" and n.value in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[n.value]
        if n.kind == "list":
            return [self.literal(x) for x in n.value]
        if n.kind == "object":
            return {k: self.literal(v) for k, v in (p.value for p in n.value)}
        self.err(n, f"expected a literal value, got {n.value!r}")

    def add_const(self, kind: str, value) -> int:
        key = (kind, canonical_json(value))
        if key not in self.const_keys:
            self.const_keys[key] = len(self.consts)
            self.consts.append((kind, value))
        return self.const_keys[key]

    def int_of(self, n: _Node) -> int:
        if n.kind != "number" or not _is_int(n.value):
            self.err(n, f"expected an integer, got {n.value!r}")
        if len(n.value.lstrip("+-")) > 20:  # more than any varint holds
            self.err(n, f"integer {n.value[:24]}... is out of range")
        return int(n.value)

    def run(self, items) -> Program:
        for kind, name, args, line, col in items:
            if kind == "directive":
                self.directive(name, args, (line, col))
            elif kind == "label":
                if name in self.labels:
                    self.err((line, col), f"label {name!r} defined twice")
                self.labels[name] = len(self.code)
            else:
                if name not in BY_MNEMONIC:
                    self.err((line, col), f"unknown instruction {name!r}")
                self.code.append((name, args, line, col))
        code = [Instr(name, self.operands(name, args, (line, col)))
                for name, args, line, col in self.code]
        for ins, (name, _, line, col) in zip(code, self.code):
            if name == "halt" and not 0 <= ins.operands[0] <= MAX_EXIT_CODE:
                self.err((line, col), f"halt exit code {ins.operands[0]} is out of range "
                                      f"0..{MAX_EXIT_CODE} (exit codes are 8 bits)")
        for name, at in self.labels.items():
            if at >= len(code):
                self.err((0, 0), f"label {name!r} is not followed by an instruction")
        prog = Program(meta=self.meta, consts=tuple(self.consts), slots=tuple(self.slots),
                       code=tuple(code), lines=tuple(self.lines), flags=self.flags,
                       version=self.version)
        try:
            prog.validate()
        except BytecodeError as exc:
            raise AsmError(self.file, 1, 1, str(exc)) from None
        return prog

    def directive(self, name: str, args, pos):
        def want(n):
            if len(args) != n:
                self.err(pos, f"{name} takes {n} value(s), got {len(args)}")

        if name == ".skbc":
            want(2)
            self.version = (self.int_of(args[0]), self.int_of(args[1]))
        elif name == ".flags":
            want(1)
            self.flags = self.int_of(args[0])
        elif name == ".meta":
            want(1)
            meta = self.literal(args[0])
            if not isinstance(meta, dict):
                self.err(args[0], ".meta takes a JSON object")
            self.meta = json.loads(canonical_json(meta))
        elif name == ".const":
            want(3)
            ref, kind_node, value_node = args
            if ref.kind != "constref" or int(ref.value[1:]) != len(self.consts):
                self.err(ref, f"expected constant #{len(self.consts)} next")
            kind = kind_node.value
            value = self.literal(value_node)
            if kind == STR and not isinstance(value, str):
                self.err(value_node, "str constant needs a string")
            elif kind == INT and (not isinstance(value, int) or isinstance(value, bool)):
                self.err(value_node, "int constant needs an integer")
            elif kind not in (STR, INT, JSON):
                self.err(kind_node, f"constant kind must be str, int or json, not {kind!r}")
            if self.add_const(kind, value) != len(self.consts) - 1:
                self.err(value_node, "duplicate constant")
        elif name == ".slot":
            want(1)
            if args[0].kind != "slotref":
                self.err(args[0], "expected $name")
            slot = args[0].value[1:]
            if slot in self.slots:
                self.err(args[0], f"slot ${slot} declared twice")
            self.slots.append(slot)
        elif name == ".loc":
            want(2)
            file = self.literal(args[0])
            if not isinstance(file, str):
                self.err(args[0], ".loc takes a file name string")
            entry = (len(self.code), file, self.int_of(args[1]))
            if self.lines and self.lines[-1][0] == len(self.code):
                self.lines[-1] = entry
            else:
                self.lines.append(entry)
        else:
            self.err(pos, f"unknown directive {name}")

    def operands(self, mnemonic: str, args, pos) -> tuple:
        d = BY_MNEMONIC[mnemonic]
        if len(args) != len(d.operands):
            names = ", ".join(f"{o.name}:{o.kind}" for o in d.operands) or "none"
            self.err(pos, f"{mnemonic} takes {len(d.operands)} operands ({names}), "
                          f"got {len(args)}")
        return tuple(self.operand(spec.kind, n) for spec, n in zip(d.operands, args))

    def slot(self, n: _Node) -> int:
        if n.kind != "slotref":
            self.err(n, f"expected a slot ($name), got {n.value!r}")
        name = n.value[1:]
        if name not in self.slots:
            if not SLOT_NAME.match(name):  # pragma: no cover - grammar guarantees it
                self.err(n, f"bad slot name {name!r}")
            self.slots.append(name)
        return self.slots.index(name)

    def const(self, n: _Node) -> int:
        if n.kind == "constref":
            i = int(n.value[1:])
            if i >= len(self.consts):
                self.err(n, f"constant #{i} is not defined (pool has {len(self.consts)})")
            return i
        value = self.literal(n)
        kind = STR if isinstance(value, str) else (
            INT if isinstance(value, int) and not isinstance(value, bool) else JSON)
        return self.add_const(kind, value)

    def label(self, n: _Node) -> int:
        if n.kind != "labelref":
            self.err(n, f"expected a label (@name), got {n.value!r}")
        name = n.value[1:]
        if name not in self.labels:
            self.err(n, f"undefined label @{name}")
        return self.labels[name]

    def val(self, n: _Node):
        return Slot(self.slot(n)) if n.kind == "slotref" else Const(self.const(n))

    def operand(self, kind: str, n: _Node):
        if kind == "slot":
            return self.slot(n)
        if kind == "const":
            return self.const(n)
        if kind == "optconst":
            return None if (n.kind == "word" and n.value == "none") else self.const(n)
        if kind == "val":
            return self.val(n)
        if kind == "int":
            return self.int_of(n)
        if kind == "label":
            return self.label(n)
        if kind == "target":
            if n.kind == "word":
                if n.value not in TARGET_WORDS:
                    self.err(n, f"expected @label, fail or retry, got {n.value!r}")
                return n.value
            return self.label(n)
        if kind in ("labels", "args"):
            if n.kind != "list":
                self.err(n, f"expected a [...] list for {kind}")
            fn = self.label if kind == "labels" else self.val
            return tuple(fn(x) for x in n.value)
        if kind == "policy":
            if n.kind != "word" or n.value not in POLICIES:
                self.err(n, f"expected a join policy ({', '.join(POLICIES)}), got {n.value!r}")
            return n.value
        self.err(n, f"unknown operand kind {kind}")  # pragma: no cover


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()
