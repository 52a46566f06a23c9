"""Print IR in the generic textual form (the inverse of ``skvmc.irparse``).

An op whose line would be longer than :data:`WIDTH` prints its attribute dictionary one
attribute per line, and an array or dictionary value that still does not fit one element per
line (recursively; strings are never split). The grammar ignores whitespace between tokens, so
the parser reads both forms, and printing is a function of the module: printing a parsed
module again gives the same bytes.
"""

from __future__ import annotations

import json
import math
import re

from skvmc.ir import FrozenDict, Operation
from skvmc.memo import ByIdentity

_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_KEYWORDS = {"true", "false", "none", "loc"}


# JSON escaping is exact and reversible; keep non-ASCII readable. This is what
# ``json.dumps(s, ensure_ascii=False)`` returns for a str, without the encoder set-up per call
# (the printer quotes every string of a module).
format_string = json.encoder.encode_basestring


_KEY_TEXT: dict[str, str] = {}  # attribute keys are few: each one's text, decided once


def format_key(key: str) -> str:
    text = _KEY_TEXT.get(key)
    if text is None:
        text = key if _BARE_KEY.match(key) and key not in _KEYWORDS else format_string(key)
        if len(_KEY_TEXT) < 4096:
            _KEY_TEXT[key] = text
    return text


def format_attr(value) -> str:
    if type(value) is str:  # most values
        return format_string(value)
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
    return "{" + ", ".join([f"{format_key(k)} = {format_attr(v)}" for k, v in attrs.items()]) + "}"


WIDTH = 100  # lines longer than this break their attribute dictionary
_STEP = "  "


def _fits(text: str, used: int) -> bool:
    return used + len(text) <= WIDTH


def format_attr_block(value, pad: str, used: int) -> str:
    """``value`` as text starting at column ``used`` of a line indented by ``pad``: on one line
    when it fits, else a dictionary one entry per line and an array one element per line."""
    one = format_attr(value)
    if _fits(one, used) or not value or not isinstance(value, (tuple, FrozenDict)):
        return one
    inner = pad + _STEP
    if isinstance(value, FrozenDict):
        lines = []
        for k, v in value.items():
            head = f"{inner}{format_key(k)} = "
            lines.append(head + format_attr_block(v, inner, len(head)))
        return "{\n" + ",\n".join(lines) + "\n" + pad + "}"
    lines = [inner + format_attr_block(v, inner, len(inner)) for v in value]
    return "[\n" + ",\n".join(lines) + "\n" + pad + "]"


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


# The printed line of an op without regions, by op object: every target of a skill prints
# its module, and the ops no per-target pass rebuilt are the same objects in each.
_LEAVES = ByIdentity(None)


def _print_into(op: Operation, out: list[str], debuginfo: bool, indent: int) -> None:
    if not op.regions:
        hit = _LEAVES.get(op)
        if hit is not None and hit[0] == indent and hit[1] == debuginfo:
            out.append(hit[2])
            return
    pad = "  " * indent
    head = ""
    if op.results:
        head = ", ".join(str(v) for v in op.results) + " = "
    head += f"{format_string(op.name)}({', '.join(str(v) for v in op.operands)})"
    signature = f" : ({_types(op.operands)}) -> {_result_types(op.results)}"
    if debuginfo and op.loc.line > 0:
        signature += f" loc({format_string(op.loc.file)}:{op.loc.line}:{op.loc.col})"

    def tail(first: str) -> str:
        """What follows ``first`` (the start of the op's last line): attributes and type."""
        if not op.attributes:
            return signature
        one = " " + format_attr_dict(op.attributes) + signature
        if _fits(first.rsplit("\n", 1)[-1] + one, 0):
            return one
        lines = []
        for k, v in op.attributes.items():
            key = f"{pad}{_STEP}{format_key(k)} = "
            lines.append(key + format_attr_block(v, pad + _STEP, len(key)))
        return " {\n" + ",\n".join(lines) + "\n" + pad + "}" + signature

    if not op.regions:
        text = pad + head + tail(pad + head)
        out.append(text)
        _LEAVES.put(op, (indent, debuginfo, text))
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
    out.append(line + ")" + tail(line + ")"))


def print_module(module: Operation, debuginfo: bool = False) -> str:
    """The whole module as text, ending with a newline."""
    lines: list[str] = []
    _print_into(module, lines, debuginfo, 0)
    lines.append("")  # the final newline, without copying the whole text once more
    return "\n".join(lines)


class _EncodedLines:
    """A sink for ``_print_into`` that keeps UTF-8 chunks of a few thousand lines instead of
    every line as a str: a 1 MB skill prints ~10^5 lines, which as str objects, then as one
    str, then as bytes, held three copies of the text at once."""

    CHUNK = 4096

    def __init__(self):
        self.lines: list[str] = []
        self.chunks: list[bytes] = []

    def append(self, line: str) -> None:
        self.lines.append(line)
        if len(self.lines) >= self.CHUNK:
            self.chunks.append("\n".join(self.lines).encode("utf-8"))
            self.lines.clear()

    def result(self) -> bytes:
        self.lines.append("")  # the final newline
        self.chunks.append("\n".join(self.lines).encode("utf-8"))
        return b"\n".join(self.chunks)


def print_module_bytes(module: Operation, debuginfo: bool = False) -> bytes:
    """``print_module(module, debuginfo).encode("utf-8")``, without the whole text as str."""
    sink = _EncodedLines()
    _print_into(module, sink, debuginfo, 0)
    return sink.result()
