"""report.json's own encoder writes exactly what ``json.dumps(indent=2, default=str)`` does."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skvmc.backends.report import dumps_bytes

SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
           | st.text(max_size=20))
KEYS = st.text(max_size=8) | st.integers() | st.floats(allow_nan=False) | st.booleans()
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.tuples(inner, inner) | st.dictionaries(KEYS, inner, max_size=4),
                      max_leaves=30)


def _reference(value) -> bytes:
    return (json.dumps(value, indent=2, default=str) + "\n").encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_same_bytes_as_json_dumps(value):
    assert dumps_bytes(value) == _reference(value)


def test_a_large_report_is_joined_in_chunks_to_the_same_text():
    value = {"removed": [{"line": i, "text": f"step {i}", "ratio": i / 7} for i in range(30000)]}
    assert dumps_bytes(value) == _reference(value)


def test_default_str_and_specials():
    value = {"path": Path("/x"), "inf": math.inf, "nan": math.nan,
             None: 1, 2.5: "k"}
    assert dumps_bytes(value) == _reference(value)


def test_a_cycle_is_an_error_as_in_json():
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps_bytes(loop)
