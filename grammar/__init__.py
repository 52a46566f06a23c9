"""The Lark grammars of skvmc, shipped as package data, and a cached loader."""

from __future__ import annotations

import functools
from importlib import resources


@functools.cache
def load(name: str, **options):
    """Build (once per process) the Lark parser for ``<name>.lark``; strict LALR by default."""
    from lark import Lark

    text = resources.files(__name__).joinpath(f"{name}.lark").read_text(encoding="utf-8")
    opts = {"parser": "lalr", "strict": True, "propagate_positions": False}
    opts.update(options)
    return Lark(text, **opts)
