"""Which typed numbers count as guesses (skvmc/vm/provenance.py)."""

from __future__ import annotations

from skvmc.vm.provenance import SMALL_OUTPUT, Provenance


def _prov(seen: str, path: str, typed: str) -> Provenance:
    p = Provenance()
    p.saw(seen)
    p.typed(path, typed)
    return p


def test_a_number_nothing_explains_is_a_guess():
    assert _prov("exit code 0\nstdout:\n12\n", "a", "13").guessed("a", "13", "") == ["13"]


def test_rounding_and_the_task_explain_a_number():
    assert _prov("stdout:\n4185.6949\n", "a", "4185.69").guessed("a", "4185.69", "") == []
    assert _prov("stdout:\n-3.25\n", "a", "-3.3").guessed("a", "-3.3", "") == []
    assert _prov("", "a", "0").guessed("a", "0", "(0 if it does not run that day)") == []


def test_a_digit_inside_a_longer_number_explains_nothing():
    # "12" was printed; the model typed "1": the 1 of 12 is not a 1
    assert _prov("stdout:\n12\n", "a", "1").guessed("a", "1", "") == ["1"]


def test_only_what_the_model_typed_and_still_there_is_judged():
    p = _prov("", "a", "5")
    assert p.guessed("b", "5", "") == []  # never typed by the model (written by code)
    assert p.guessed("a", "6", "") == []  # overwritten since (by code)
    big = "1 " * SMALL_OUTPUT
    p.typed("c", big)
    assert p.guessed("c", big, "") == []  # a document, not a value
