"""Parse the generic textual IR (``grammar/ir.lark``) back into operations.

Syntax errors become located diagnostics; so do uses of undefined values and operands whose
declared type disagrees with their definition. ``parse(print(m)) == m`` holds for every module.
"""

from __future__ import annotations

import json
import math

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from skvmc import grammar
from skvmc.diagnostics import CompileError, DiagnosticEngine
from skvmc.ir import FrozenDict, Location, Operation, Region, Type, Value

# Bounds: nesting (parentheses, braces, brackets) and integer size. The builder and every
# pass recurse along nesting, and Python refuses int() of more than 4300 digits.
MAX_DEPTH = 256
MAX_INT_DIGITS = 1000


class _BadToken(Exception):
    def __init__(self, message: str, tok):
        super().__init__(message)
        self.tok = tok


def _string(tok: Token) -> str:
    try:
        value = json.loads(tok.value)
        value.encode("utf-8")
    except ValueError as err:  # a bad escape (\q), or \ud800: a surrogate is no text
        raise _BadToken(f"bad string literal: {getattr(err, 'msg', None) or 'not UTF-8 text'}",
                        tok) from None
    return value


def _int(tok: Token) -> int:
    digits = tok.value.lstrip("-")
    if len(digits) > MAX_INT_DIGITS:
        raise _BadToken(f"integer of {len(digits)} digits (at most {MAX_INT_DIGITS})", tok)
    return int(tok.value)


def _float(tok: Token) -> float:
    value = float(tok.value)
    if not math.isfinite(value):
        raise _BadToken(f"float {tok.value} is out of range", tok)
    return value


def _too_deep(text: str):
    """(line, col) of the first bracket nested deeper than MAX_DEPTH, outside strings."""
    depth, line, col, i, n = 0, 1, 0, 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        col += 1
        if in_string:
            if c == "\\":
                i += 1
                col += 1
            elif c == '"' or c == "\n":
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                return line, col
        elif c in ")]}":
            depth -= 1
        if c == "\n":
            line, col = line + 1, 0
        i += 1
    return None


def _type(tok: Token) -> Type:
    dialect, name = tok.value[1:].split(".", 1)
    return Type(dialect, name)


class _Builder:
    def __init__(self, file: str, diags: DiagnosticEngine):
        self.file = file
        self.diags = diags
        self.scopes: list[dict[str, Value]] = [{}]

    def at(self, tok) -> Location:
        return Location(self.file, getattr(tok, "line", 0) or 0, getattr(tok, "column", 0) or 0)

    def lookup(self, name: str) -> Value | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def attr_value(self, tree: Tree):
        kind = tree.data
        if kind == "string":
            return _string(tree.children[0])
        if kind == "int":
            return _int(tree.children[0])
        if kind == "float":
            return _float(tree.children[0])
        if kind == "true":
            return True
        if kind == "false":
            return False
        if kind == "none":
            return None
        if kind == "array":
            return tuple(self.attr_value(c) for c in tree.children if c is not None)
        if kind == "dict":
            return self.entries(tree.children)
        raise AssertionError(kind)

    def entries(self, children, locs: dict | None = None) -> FrozenDict:
        out = {}
        for entry in children:
            if entry is None:
                continue
            key_tree, value_tree = entry.children
            key_tok = key_tree.children[0]
            key = _string(key_tok) if key_tok.type == "STRING" else key_tok.value
            if key in out:
                self.diags.error(f"duplicate attribute '{key}'", self.at(key_tok))
            out[key] = self.attr_value(value_tree)
            if locs is not None:
                locs[key] = self.at(key_tok)
        return FrozenDict(out)

    def op(self, tree: Tree) -> Operation:
        results_tree, name_tok, operands_tree, regions_tree, attr_tree, func_tree, loc_tree = (
            tree.children
        )
        name = _string(name_tok)
        if "." not in name:
            self.diags.error(f"op name '{name}' needs a dialect prefix", self.at(name_tok))
        arg_types, result_types = self.func_type(func_tree)
        operand_toks = operands_tree.children if operands_tree is not None else []
        result_toks = results_tree.children if results_tree is not None else []
        if len(operand_toks) != len(arg_types):
            self.diags.error(
                f"'{name}' has {len(operand_toks)} operand(s) but its type lists {len(arg_types)}",
                self.at(name_tok),
            )
        if len(result_toks) != len(result_types):
            self.diags.error(
                f"'{name}' has {len(result_toks)} result(s) but its type lists {len(result_types)}",
                self.at(name_tok),
            )
        operands = []
        for tok, typ in zip(operand_toks, arg_types):
            defined = self.lookup(tok.value[1:])
            if defined is None:
                self.diags.error(f"use of undefined value '{tok.value}'", self.at(tok))
            elif defined.type != typ:
                self.diags.error(
                    f"'{tok.value}' is {defined.type} but used as {typ}", self.at(tok)
                )
            operands.append(Value(tok.value[1:], typ))
        regions = []
        if regions_tree is not None:
            for region_tree in regions_tree.children:
                self.scopes.append({})
                regions.append(Region(tuple(self.op(c) for c in region_tree.children)))
                self.scopes.pop()
        results = []
        for tok, typ in zip(result_toks, result_types):
            value = Value(tok.value[1:], typ)
            if self.lookup(value.name) is not None:
                self.diags.error(f"redefinition of value '{tok.value}'", self.at(tok))
            self.scopes[-1][value.name] = value
            results.append(value)
        attr_locs: dict[str, Location] = {}
        attributes = (self.entries(attr_tree.children, attr_locs) if attr_tree is not None
                      else FrozenDict())
        # Without loc(...), an op is located in the IR text itself (as mlir-opt does), so
        # verifier errors on hand-written IR still point somewhere useful.
        first_tok = result_toks[0] if result_toks else name_tok
        loc = self.at(first_tok)
        if loc_tree is not None:
            file_tok, line_tok, col_tok = loc_tree.children
            loc = Location(_string(file_tok), _int(line_tok), _int(col_tok))
            attr_locs = {}  # the op points into another file; the attributes are in this one
        return Operation(name, tuple(operands), tuple(results), attributes, tuple(regions), loc,
                         attr_locs)

    def func_type(self, tree: Tree):
        args_tree, results_tree = tree.children
        args = [_type(t) for t in args_tree.children] if args_tree is not None else []
        first = results_tree.children[0] if results_tree.children else None
        if isinstance(first, Token):
            results = [_type(first)]
        elif first is None:
            results = []
        else:
            results = [_type(t) for t in first.children]
        return args, results


def parse_ops(text: str, file: str, diags: DiagnosticEngine) -> list[Operation]:
    """Parse IR text into its top-level ops; on a syntax error report it and raise CompileError."""
    parser = grammar.load("ir", maybe_placeholders=True)
    deep = _too_deep(text)
    if deep is not None:
        diags.error(f"IR nested deeper than {MAX_DEPTH} levels", Location(file, *deep),
                    code="ir-too-deep")
        raise CompileError("IR too deep")
    try:
        tree = parser.parse(text)
    except UnexpectedInput as err:
        diags.error(_describe(err), Location(file, err.line, err.column), code="ir-syntax")
        raise CompileError("IR syntax error") from None
    builder = _Builder(file, diags)
    try:
        ops = [builder.op(c) for c in tree.children]
    except _BadToken as err:
        diags.error(str(err), builder.at(err.tok), code="ir-syntax")
        raise CompileError("IR syntax error") from None
    if diags.has_errors:
        raise CompileError("invalid IR")
    return ops


def parse_module(text: str, file: str = "<ir>", diags: DiagnosticEngine | None = None):
    """Parse text holding exactly one top-level ``builtin.module`` op."""
    diags = diags or DiagnosticEngine()
    diags.sources.add(file, file, text)
    ops = parse_ops(text, file, diags)
    if len(ops) != 1 or ops[0].name != "builtin.module":
        diags.error("expected exactly one top-level \"builtin.module\" op", Location(file, 1, 1))
        raise CompileError("not a module")
    return ops[0]


def _describe(err: UnexpectedInput) -> str:
    if isinstance(err, UnexpectedEOF):
        return "unexpected end of input"
    if isinstance(err, UnexpectedCharacters):
        return f"unexpected character {err.char!r}"
    if isinstance(err, UnexpectedToken):
        expected = sorted(e for e in err.expected if not e.startswith("__"))
        shown = ", ".join(expected[:6]) + (" ..." if len(expected) > 6 else "")
        got = "end of input" if err.token.type == "$END" else repr(err.token.value)
        return f"unexpected {got}; expected {shown}"
    return str(err).splitlines()[0]
