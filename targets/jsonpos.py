"""Where each value of a JSON document sits in its text, by JSON pointer.

jsonschema reports errors as paths into the parsed data; a user needs ``file:line:col``.
``locate(text)`` scans the text once and records, for every JSON pointer, the position of its
value and (for object members) of its key, so a diagnostic can point at the offending token.
It expects text that ``json.loads`` already accepted; it does not re-validate.
"""

from __future__ import annotations

import json
from json.decoder import scanstring

import attrs

_WS = " \t\n\r"
_SCALAR = json.JSONDecoder()


@attrs.frozen
class Pos:
    line: int  # 1-based
    col: int  # 1-based, in characters


@attrs.frozen
class Spans:
    """Positions by JSON pointer (RFC 6901): ``value['/capabilities/tool.exec']``."""

    value: dict[str, Pos]
    key: dict[str, Pos]

    def of_value(self, pointer: str) -> Pos | None:
        return self.value.get(pointer)

    def of_key(self, pointer: str) -> Pos | None:
        """The member's key if it is an object member, else its value."""
        return self.key.get(pointer) or self.value.get(pointer)


def pointer(parts) -> str:
    """JSON pointer for a path such as jsonschema's ``error.absolute_path``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def locate(text: str) -> Spans:
    line_starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(i + 1)

    def pos(offset: int) -> Pos:
        # Binary search for the line holding the offset.
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return Pos(lo + 1, offset - line_starts[lo] + 1)

    values: dict[str, Pos] = {}
    keys: dict[str, Pos] = {}

    def skip(i: int) -> int:
        while i < len(text) and text[i] in _WS:
            i += 1
        return i

    def value(i: int, ptr: str) -> int:
        i = skip(i)
        values[ptr] = pos(i)
        ch = text[i]
        if ch == "{":
            i = skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                i = skip(i)
                key_at = i
                key, i = scanstring(text, i + 1)
                child = ptr + "/" + key.replace("~", "~0").replace("/", "~1")
                keys[child] = pos(key_at)
                i = skip(i)  # at ':'
                i = value(i + 1, child)
                i = skip(i)
                if text[i] == "}":
                    return i + 1
                i += 1  # ','
        if ch == "[":
            i = skip(i + 1)
            if text[i] == "]":
                return i + 1
            n = 0
            while True:
                i = value(i, f"{ptr}/{n}")
                n += 1
                i = skip(i)
                if text[i] == "]":
                    return i + 1
                i += 1  # ','
        if ch == '"':
            return scanstring(text, i + 1)[1]
        return _SCALAR.raw_decode(text, i)[1]

    # A leading BOM is tolerated by our loader; keep columns relative to the text given.
    start = 1 if text.startswith("\ufeff") else 0
    value(start, "")
    return Spans(values, keys)
