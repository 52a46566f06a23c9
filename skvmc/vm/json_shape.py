"""The shape of a JSON data file, as one line of the workdir's file list.

A CSV's first line is its header, which is what code over it needs. A pretty-printed JSON
file's first line is ``[`` or ``{``: the 1.5B, shown only that, guessed the field names
(``order['customer_name']``, ``order['id']`` for ``customer`` and ``order``), failed with
KeyError and resent the same guess until the step ended (json-group-orders). The shape names
the keys instead: ``a list of 12 objects with keys order, customer, status, items (a list of
objects with keys sku, qty, price)``. Keys come from the first object of a list (records of
one kind are alike); nesting is shown two levels deep, and the line is capped.
"""

from __future__ import annotations

import json

MAX_BYTES = 256 * 1024  # bigger files keep their first line: parsing them costs too much
MAX_KEYS = 12
MAX_CHARS = 300


def _keys(obj: dict, depth: int) -> str:
    parts = []
    for key in list(obj)[:MAX_KEYS]:
        inner = _nested(obj[key], depth + 1)
        parts.append(f"{key} ({inner})" if inner else str(key))
    more = f", ... ({len(obj) - MAX_KEYS} more)" if len(obj) > MAX_KEYS else ""
    return ", ".join(parts) + more


def _nested(value, depth: int) -> str:
    """The shape of a value inside a record, or "" for a scalar (or when too deep)."""
    if depth > 2:
        return ""
    if isinstance(value, dict) and value:
        return "an object with keys " + _keys(value, depth)
    if isinstance(value, list):
        first = next((v for v in value if isinstance(v, dict) and v), None)
        if first is not None:
            return "a list of objects with keys " + _keys(first, depth)
    return ""


def shape(text: str) -> str | None:
    """One line describing the JSON in ``text``, or None (not JSON, or nothing to name)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return None
    if isinstance(value, list):
        first = next((v for v in value if isinstance(v, dict) and v), None)
        if first is None:
            return None
        kind = "object" if len(value) == 1 else "objects"
        line = f"a list of {len(value)} {kind} with keys {_keys(first, 1)}"
    elif isinstance(value, dict) and value:
        line = f"an object with keys {_keys(value, 1)}"
    else:
        return None
    return line if len(line) <= MAX_CHARS else line[:MAX_CHARS - 4] + " ..."
