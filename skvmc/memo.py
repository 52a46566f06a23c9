"""Memoizing pure functions of a text, for analyses that every target of a skill repeats.

The per-target part of the pipeline sees the same code blocks and bundled scripts once per
target; parsing them (``ast``, the shell lexer) is pure in the text. Entries are keyed by a
digest of the text, not the text (bundled files run to 256 KB each), and the memo is emptied
when full, so it stays small whatever the corpus.
"""

from __future__ import annotations

import functools
import hashlib


def by_text(limit: int = 4096):
    """Decorator: ``fn(text, *args)`` memoized on (digest of text, args); ``fn`` returns a
    list, and each caller gets its own copy of it."""

    def wrap(fn):
        memo: dict = {}

        @functools.wraps(fn)
        def call(text: str, *args):
            key = (hashlib.blake2b(text.encode("utf-8", "surrogatepass"),
                                   digest_size=16).digest(), args)
            hit = memo.get(key)
            if hit is None:
                if len(memo) >= limit:
                    memo.clear()
                hit = memo[key] = tuple(fn(text, *args))
            return list(hit)

        call.cache_clear = memo.clear
        return call

    return wrap
