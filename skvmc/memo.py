"""Memoizing pure functions: of a text, for analyses that every target of a skill repeats
(``by_text``), and of an immutable op (``ByIdentity``).

The per-target part of the pipeline sees the same code blocks and bundled scripts once per
target; parsing them (``ast``, the shell lexer) is pure in the text. Entries are keyed by a
digest of the text, not the text (bundled files run to 256 KB each), and the memo is emptied
when full, so it stays small whatever the corpus.
"""

from __future__ import annotations

import functools
import hashlib
import weakref


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


class _Ref(weakref.ref):
    __slots__ = ("key",)


class ByIdentity:
    """``fn(op)`` memoized per object, for pure functions of immutable IR: hashing an op
    hashes its whole subtree, and a module rebuilt by a pass keeps most op objects of the one
    before. An entry lives as long as its op (a weak reference drops it when the op is freed,
    so the id cannot be reused while the entry lives, and no old module is kept alive), and
    the memo is emptied when it holds ``limit`` entries (each costs ~200 bytes)."""

    def __init__(self, fn, limit: int = 50_000):
        self.fn, self.limit, self.data = fn, limit, {}
        functools.update_wrapper(self, fn)

    def _drop(self, ref: _Ref) -> None:
        self.data.pop(ref.key, None)

    def __call__(self, op):
        hit = self.data.get(id(op))
        if hit is not None and hit[0]() is op:
            return hit[1]
        value = self.fn(op)
        self.put(op, value)
        return value

    def get(self, op, default=None):
        """The stored value of ``op``, without computing it."""
        hit = self.data.get(id(op))
        return hit[1] if hit is not None and hit[0]() is op else default

    def put(self, op, value) -> None:
        key = id(op)
        if len(self.data) >= self.limit:
            self.data.clear()
        ref = _Ref(op, self._drop)
        ref.key = key
        self.data[key] = (ref, value)

    def cache_clear(self) -> None:
        self.data.clear()
