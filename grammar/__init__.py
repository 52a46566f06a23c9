"""The Lark grammars of skvmc, shipped as package data, and a cached loader."""

from __future__ import annotations

import functools
from importlib import resources


@functools.cache
def load(name: str, **options):
    """Build (once per process) the Lark parser for ``<name>.lark`` (LALR).

    ``strict`` (conflicts and terminal collisions are errors) is what the tests build every
    grammar with (tests/core/test_grammars.py); at run time it only adds the collision check
    (about half a second of every compile's start-up for the skill grammar), so it is on only
    when SKVMC_GRAMMAR_STRICT=1."""
    import os

    from lark import Lark

    text = resources.files(__name__).joinpath(f"{name}.lark").read_text(encoding="utf-8")
    strict = os.environ.get("SKVMC_GRAMMAR_STRICT", "") == "1"
    opts = {"parser": "lalr", "strict": strict, "propagate_positions": False}
    opts.update(options)
    return Lark(text, **opts)
