"""Print IR in the generic textual form (the inverse of ``skvmc.irparse``)."""

from __future__ import annotations

import json
import math
import re

from skvmc.ir import FrozenDict, Operation

_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_KEYWORDS = {"true", "false", "none", "loc"}


def format_string(s: str) -> str:
    # JSON escaping is exact and reversible; keep non-ASCII readable.
    return json.dumps(s, ensure_ascii=False)


def format_key(key: str) -> str:
    if _BARE_KEY.match(key) and key not in _KEYWORDS:
        return key
    return format_string(key)


def format_attr(value) -> str:
    if value is None:
        return "none"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite float attribute {value!r} has no textual form")
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    if isinstance(value, str):
        return format_string(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(format_attr(v) for v in value) + "]"
    if isinstance(value, FrozenDict):
        return format_attr_dict(value)
    raise TypeError(f"cannot print attribute value {value!r}")


def format_attr_dict(attrs: FrozenDict) -> str:
    return "{" + ", ".join(f"{format_key(k)} = {format_attr(v)}" for k, v in attrs.items()) + "}"


def _types(values) -> str:
    return ", ".join(str(v.type) for v in values)


def _result_types(values) -> str:
    if len(values) == 1:
        return str(values[0].type)
    return f"({_types(values)})"


def print_op(op: Operation, debuginfo: bool = False, indent: int = 0) -> str:
    lines: list[str] = []
    _print_into(op, lines, debuginfo, indent)
    return "\n".join(lines)


def _print_into(op: Operation, out: list[str], debuginfo: bool, indent: int) -> None:
    pad = "  " * indent
    head = ""
    if op.results:
        head = ", ".join(str(v) for v in op.results) + " = "
    head += f"{format_string(op.name)}({', '.join(str(v) for v in op.operands)})"
    tail = ""
    if op.attributes:
        tail += " " + format_attr_dict(op.attributes)
    tail += f" : ({_types(op.operands)}) -> {_result_types(op.results)}"
    if debuginfo and op.loc.line > 0:
        tail += f" loc({format_string(op.loc.file)}:{op.loc.line}:{op.loc.col})"
    if not op.regions:
        out.append(pad + head + tail)
        return
    line = pad + head + " ("
    for i, region in enumerate(op.regions):
        if i:
            line += ", "
        if not region.ops:
            line += "{\n" + pad + "}"
            continue
        out.append(line + "{")
        for inner in region.ops:
            _print_into(inner, out, debuginfo, indent + 1)
        line = pad + "}"
    out.append(line + ")" + tail)


def print_module(module: Operation, debuginfo: bool = False) -> str:
    """The whole module as text, ending with a newline."""
    return print_op(module, debuginfo) + "\n"
