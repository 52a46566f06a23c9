"""JSON from untrusted text with bounds: nesting depth and size are checked before parsing,
integers over Python's digit limit and NaN/Infinity are refused. Every failure is a
``ValueError`` (``json.JSONDecodeError`` keeps its line and column), never a RecursionError."""

from __future__ import annotations

import json
import re

MAX_DEPTH = 64
MAX_BYTES = 16 << 20  # profiles, descriptors, overlays and metadata are small
_OPEN_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class JSONLimitError(ValueError):
    def __init__(self, msg: str, pos: int = 0, text: str = ""):
        super().__init__(msg)
        self.msg = msg
        self.pos = pos
        self.lineno = text.count("\n", 0, pos) + 1
        self.colno = pos - (text.rfind("\n", 0, pos) + 1) + 1


def depth_error(text: str, max_depth: int = MAX_DEPTH) -> JSONLimitError | None:
    """The first place where brackets nest deeper than ``max_depth`` (strings skipped)."""
    depth = 0
    for m in _OPEN_OR_STRING.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > max_depth:
                return JSONLimitError(f"nested deeper than {max_depth} levels", m.start(), text)
        elif c in "]}":
            depth -= 1
    return None


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def loads(text: str, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES):
    """``json.loads`` with bounds; ValueError (JSONDecodeError or JSONLimitError) when bad."""
    if len(text) > max_bytes:
        raise JSONLimitError(f"more than {max_bytes} bytes", 0, "")
    err = depth_error(text, max_depth)
    if err is not None:
        raise err
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:  # "Exceeds the limit (4300 digits)", NaN
        raise JSONLimitError(str(exc).split(";")[0], 0, text) from None
