"""Memoizing pure functions: of a text, for analyses that every target of a skill repeats
(``by_text``), and of an immutable op (``ByIdentity``).

The per-target part of the pipeline sees the same code blocks and bundled scripts once per
target; parsing them (``ast``, the shell lexer) is pure in the text. Entries are keyed by a
digest of the text, not the text (bundled files run to 256 KB each), and the memo is emptied
when full, so it stays small whatever the corpus.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gc
import hashlib
import threading


class Bounded(dict):
    """A memo dict that empties itself when full: it stays small whatever the corpus, and a
    miss costs one recomputation."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def put(self, key, value):
        """Store ``value`` under ``key`` (emptying the memo first when it is full); returns
        ``value``."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


def by_text(limit: int = 4096):
    """Decorator: ``fn(text, *args)`` memoized on (digest of text, args); ``fn`` returns a
    list, and each caller gets its own copy of it."""

    def wrap(fn):
        memo = Bounded(limit)

        @functools.wraps(fn)
        def call(text: str, *args):
            key = (hashlib.blake2b(text.encode("utf-8", "surrogatepass"),
                                   digest_size=16).digest(), args)
            hit = memo.get(key)
            if hit is None:
                hit = memo.put(key, tuple(fn(text, *args)))
            return list(hit)

        call.cache_clear = memo.clear
        return call

    return wrap




_MISSING = object()  # no stored value (None may be one)


class ByIdentity:
    """``fn(op)`` memoized per object, for pure functions of immutable IR: hashing an op
    hashes its whole subtree, and a module rebuilt by a pass keeps most op objects of the one
    before. The value is kept on the op itself (its ``_memo`` slot: a flat tuple of memo key,
    value, memo key, value ...; a dict would cost twice the bytes for the one or two entries
    an op has), so it lives exactly as long as the op: no id can be reused while it lives, no
    old module is kept alive, and there is no table to bound or to clean up (a weak reference
    per entry cost ~200 bytes and a callback when the op was freed)."""

    def __init__(self, fn, for_later_compiles: bool = False):
        self.fn = fn
        self.key = object()  # a new one empties the memo (``cache_clear``)
        # True: the value only pays off when a later compile (another target of the skill)
        # meets the same op, so nothing is stored under ``last_compile()``
        self.for_later_compiles = for_later_compiles
        functools.update_wrapper(self, fn)

    @property
    def stores(self) -> bool:
        """Whether ``put`` keeps a value now."""
        return not (self.for_later_compiles and _LAST_COMPILE.get())

    def __call__(self, op):
        value = self.get(op, _MISSING)
        if value is _MISSING:
            value = self.fn(op)
            self.put(op, value)
        return value

    def get(self, op, default=None):
        """The stored value of ``op``, without computing it."""
        memo = op._memo
        if memo is not None:
            key = self.key
            for i in range(0, len(memo), 2):
                if memo[i] is key:
                    return memo[i + 1]
        return default

    def put(self, op, value) -> None:
        if not self.stores:
            return
        memo = op._memo
        key = self.key
        if memo is None:
            memo = (key, value)
        else:
            for i in range(0, len(memo), 2):
                if memo[i] is key:
                    memo = (*memo[:i + 1], value, *memo[i + 2:])
                    break
            else:
                memo = (*memo, key, value)
        object.__setattr__(op, "_memo", memo)

    def cache_clear(self) -> None:
        self.key = object()  # entries under the old key are never read again


_LAST_COMPILE = contextvars.ContextVar("skvmc_last_compile", default=False)


@contextlib.contextmanager
def last_compile():
    """No compile after this one reads its modules (the last target of a skill): memos kept
    for later compiles only (a printed line, the source's spans) would be dead weight, up to
    a third of a 1 MB skill's peak memory. Per thread (a context variable)."""
    token = _LAST_COMPILE.set(True)
    try:
        yield
    finally:
        _LAST_COMPILE.reset(token)


_gc_lock = threading.Lock()
_gc_pauses = 0  # IR builds running now (threads of one process share the collector)
_gc_was_enabled = True  # the collector's state when the first of them started
_own_freeze = False  # a freeze() in force: known here, as gc.get_freeze_count is O(frozen)


def freeze() -> bool:
    """``gc.freeze()``: what exists now is never scanned again, until :func:`unfreeze`.
    A no-op (False) when objects are frozen already: that freeze is its owner's to undo.

    Whether our own freeze is in force is kept here: ``gc.get_freeze_count`` walks the whole
    frozen list, and asked after every pass of a batch unit (whose module and everything the
    passes built were frozen) it took a third of the batch's CPU time."""
    global _own_freeze
    with _gc_lock:
        if _own_freeze or gc.get_freeze_count():
            return False
        gc.freeze()
        _own_freeze = True
        return True


def unfreeze() -> None:
    """Undo :func:`freeze` (call it only when that returned True)."""
    global _own_freeze
    with _gc_lock:
        gc.unfreeze()
        _own_freeze = False


@contextlib.contextmanager
def gc_paused():
    """The cyclic garbage collector off while the frontend or a pass manager builds IR, back
    on after (the backends, which make cyclic garbage: networkx graphs, closures, run with it
    on). Building IR only allocates: it is immutable and acyclic, freed by reference
    counting; a 1 MB skill builds ~10^6 objects, and the full collections their growth
    triggers (each a walk over every object alive) cost a third of the compile's CPU time.

    What the pause built is then moved to the oldest generation (``_promote_young``) instead
    of being scanned, as young objects, by the first young and middle collections after it
    (~10% of a 1 MB compile's CPU time)."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                _promote_young()
                gc.enable()


def _promote_young() -> None:
    """Every tracked object into the oldest generation, without a collection: ``gc.freeze``
    moves the generations to the permanent one, ``gc.unfreeze`` puts that back as the oldest.
    When something froze objects already (a batch unit freezes its parsed module) that would
    unfreeze them too, so the young join them instead, until the one who froze unfreezes
    (freezing keeps nothing alive: reference counting still frees the acyclic IR)."""
    if not _own_freeze and gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
    else:
        gc.freeze()
