"""skvmc.memo.gc_paused: the collector off while IR is built, what was built promoted to the
oldest generation after (no scan), and an outside gc.freeze left as it was."""

import gc

import pytest

from skvmc.memo import gc_paused


def test_pause_restores_the_collector_and_freezes_nothing_itself():
    if gc.get_freeze_count():
        pytest.skip("something in this process froze objects")
    was = gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: still off
            built = [[i] for i in range(1000)]
        assert not gc.isenabled()
    assert gc.isenabled() == was
    assert gc.get_freeze_count() == 0
    assert gc.get_count()[0] < 1000  # the young generation did not keep what was built
    del built


def test_pause_inside_an_outside_freeze_joins_it_until_unfrozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            built = [[i] for i in range(1000)]
        assert gc.get_freeze_count() >= frozen + 1000
    finally:
        gc.unfreeze()
    del built


def test_own_freeze_is_known_without_asking_the_collector(monkeypatch):
    """gc.get_freeze_count walks the whole frozen list: while memo.freeze() is in force (a
    batch unit's module), a pause after every pass must not ask it, and still joins it."""
    from skvmc import memo

    if gc.get_freeze_count():
        pytest.skip("something in this process froze objects")
    assert memo.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert not memo.freeze()  # already in force: the owner undoes it, not a second call
        calls = []
        real = gc.get_freeze_count
        monkeypatch.setattr(gc, "get_freeze_count", lambda: calls.append(1) or real())
        with gc_paused():
            built = [[i] for i in range(1000)]
        assert calls == []
        monkeypatch.undo()
        assert gc.get_freeze_count() >= frozen + 1000  # what the pause built joined the freeze
    finally:
        memo.unfreeze()
    assert gc.get_freeze_count() == 0
    del built


def test_freeze_leaves_an_outside_freeze_to_its_owner():
    from skvmc import memo

    gc.freeze()
    try:
        assert not memo.freeze()
        with gc_paused():
            built = [[i] for i in range(100)]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    del built
