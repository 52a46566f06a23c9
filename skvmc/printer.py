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

from skvmc.bytesink import ByteSink
from skvmc.ir import FrozenDict, Operation
from skvmc.memo import Bounded, ByIdentity

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


def _bounded(value, limit: int) -> str | None:
    """``format_attr(value)`` when it is at most ``limit`` characters long, else None: found
    without formatting more than ``limit`` characters of it. Deciding whether a value fits its
    line then costs the line's width, not the size of the value (a dictionary that does not
    fit is formatted again entry by entry, at every level of nesting)."""
    kind = type(value)
    if kind is str:
        if len(value) + 2 > limit:  # its quoted form is at least that long
            return None
        text = format_string(value)
        return text if len(text) <= limit else None
    if kind is tuple:
        if not value:
            return "[]" if limit >= 2 else None
        parts, size = [], 1  # "[" + items joined by ", " + "]"
        for v in value:
            text = _bounded(v, limit - size - 1)
            if text is None:
                return None
            parts.append(text)
            size += len(text) + 2
        return "[" + ", ".join(parts) + "]"
    if kind is FrozenDict:
        if not value:
            return "{}" if limit >= 2 else None
        parts, size = [], 1
        for k, v in value.items():
            key = format_key(k)
            text = _bounded(v, limit - size - len(key) - 4)
            if text is None:
                return None
            parts.append(f"{key} = {text}")
            size += len(key) + 3 + len(text) + 2
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, str) and len(value) > limit:  # its quoted form is longer still
        return None
    text = format_attr(value)
    return text if len(text) <= limit else None


WIDTH = 100  # lines longer than this break their attribute dictionary
_STEP = "  "


def _fits(text: str, used: int) -> bool:
    return used + len(text) <= WIDTH


def format_attr_block(value, pad: str, used: int) -> str:
    """``value`` as text starting at column ``used`` of a line indented by ``pad``: on one line
    when it fits, else a dictionary one entry per line and an array one element per line."""
    if not value or not isinstance(value, (tuple, FrozenDict)):
        return format_attr(value)
    key = (id(value), pad, used)
    hit = _BLOCKS.get(key)
    if hit is not None and hit[0] is value:
        return hit[1]
    text = _bounded(value, WIDTH - used)
    if text is None:
        inner = pad + _STEP
        if isinstance(value, FrozenDict):
            lines = []
            for k, v in value.items():
                head = f"{inner}{format_key(k)} = "
                lines.append(head + format_attr_block(v, inner, len(head)))
            text = "{\n" + ",\n".join(lines) + "\n" + pad + "}"
        else:
            lines = [inner + format_attr_block(v, inner, len(inner)) for v in value]
            text = "[\n" + ",\n".join(lines) + "\n" + pad + "]"
    _BLOCKS.put(key, (value, text))
    return text


# The text of an array or dictionary value at a place (indent, column), by the value's
# identity: an op a pass rebuilt (another target's tools, a requirement's status) keeps the
# value objects of what it did not change. An entry holds its value, so the id stays its own.
_BLOCKS: Bounded = Bounded(20000)


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
_LEAVES = ByIdentity(None, for_later_compiles=True)


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
        room = WIDTH - len(first.rsplit("\n", 1)[-1]) - 1 - len(signature)
        one = _bounded(op.attributes, room)
        if one is not None:
            return " " + one + signature
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
    """A sink for ``_print_into`` that encodes every few thousand lines into one UTF-8 buffer
    instead of keeping every line as a str: a 1 MB skill prints ~10^5 lines, which as str
    objects, then as one str, then as bytes, held three copies of the text at once."""

    CHUNK = 4096

    def __init__(self):
        self.lines: list[str] = []
        self.sink = ByteSink()
        self.started = False

    def _flush(self) -> None:
        text = "\n".join(self.lines)
        self.sink.write("\n" + text if self.started else text)  # chunks joined by newlines
        self.started = True
        self.lines.clear()

    def append(self, line: str) -> None:
        self.lines.append(line)
        if len(self.lines) >= self.CHUNK:
            self._flush()

    def result(self) -> bytes:
        self.lines.append("")  # the final newline
        self._flush()
        return self.sink.getvalue()


def print_module_bytes(module: Operation, debuginfo: bool = False) -> bytes:
    """``print_module(module, debuginfo).encode("utf-8")``, without the whole text as str."""
    sink = _EncodedLines()
    _print_into(module, sink, debuginfo, 0)
    return sink.result()
