"""The Lark grammars of skvmc, shipped as package data, and a cached loader."""

from __future__ import annotations

import functools
import os
from importlib import resources


def _cache_file(name: str, text: str, opts: dict) -> str | bool:
    """Where Lark keeps the built parser between runs (building the skill grammar's LALR
    tables is most of a short compile's start-up), or False when there is nowhere to keep it.
    Per user (never a shared /tmp file: Lark's cache is a pickle) and keyed by everything
    the tables depend on."""
    import hashlib
    import sys

    import lark

    root = os.environ.get("SKVMC_CACHE_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "skvmc")
    key = hashlib.sha256(repr((text, sorted(opts.items()), lark.__version__,
                               sys.version_info[:2])).encode()).hexdigest()[:32]
    try:
        os.makedirs(root, mode=0o700, exist_ok=True)
    except OSError:
        return False
    return os.path.join(root, f"lark-{name}-{key}.cache") if os.access(root, os.W_OK) else False


@functools.cache
def load(name: str, **options):
    """Build (once per process, cached on disk across runs) the Lark parser for
    ``<name>.lark`` (LALR).

    ``strict`` (conflicts and terminal collisions are errors) is what the tests build every
    grammar with (tests/core/test_grammars.py); at run time it only adds the collision check,
    so it is on only when SKVMC_GRAMMAR_STRICT=1."""
    from lark import Lark

    text = resources.files(__name__).joinpath(f"{name}.lark").read_text(encoding="utf-8")
    strict = os.environ.get("SKVMC_GRAMMAR_STRICT", "") == "1"
    opts = {"parser": "lalr", "strict": strict, "propagate_positions": False}
    opts.update(options)
    if os.environ.get("SKVMC_NO_GRAMMAR_CACHE"):
        return Lark(text, **opts)
    return Lark(text, cache=_cache_file(name, text, opts), **opts)
