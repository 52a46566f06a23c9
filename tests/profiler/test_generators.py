"""Profiler instance generators: all 78 (primitive, level) pairs generate deterministically,
and a reference agent passes each checker while an empty answer / untouched workdir fails."""
import json
import shutil
from pathlib import Path

import attrs
import pytest

from skvmc.profiler.generators import (
    GENERATORS,
    Instance,
    check,
    generate,
    reference_answer,
    reference_files,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PRIMITIVES_JSON = SHARED / "reference" / "primitives.json"
PAIRS = [(pid, level) for pid in sorted(GENERATORS) for level in (1, 2, 3)]
INDICES = (0, 1, 2)  # reference/negative checks run on a few instances per pair


def _workdir(tmp_path: Path, inst: Instance, with_reference: bool) -> Path:
    files = dict(inst.files)
    if with_reference:
        files.update(reference_files(inst))
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _needs(inst):
    missing = [exe for exe in inst.requires if shutil.which(exe) is None]
    if missing:
        pytest.skip(f"checker needs {missing}")


def test_table_covers_all_26_primitives():
    assert len(GENERATORS) == 26
    if PRIMITIVES_JSON.is_file():
        ids = {p["id"] for p in json.loads(PRIMITIVES_JSON.read_text())["primitives"]}
        assert ids == set(GENERATORS)


@pytest.mark.parametrize("pid,level", PAIRS)
def test_generates_and_is_deterministic(pid, level):
    a, b = generate(pid, level, 7, 3), generate(pid, level, 7, 3)
    assert isinstance(a, Instance) and a == b
    assert a.primitive == pid and a.level == level and a.prompt.strip()
    assert a.expected["checks"]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.prompt = "x"
    # different seeds (and indices) give different instances somewhere across indices
    seeds_differ = any(generate(pid, level, 1, i) != generate(pid, level, 2, i) for i in range(4))
    indices_differ = any(generate(pid, level, 1, 0) != generate(pid, level, 1, i)
                         for i in range(1, 5))
    assert seeds_differ and indices_differ


@pytest.mark.parametrize("pid,level", PAIRS)
def test_reference_passes_and_empty_fails(pid, level, tmp_path):
    for index in INDICES:
        inst = generate(pid, level, 0, index)
        _needs(inst)
        good = _workdir(tmp_path / f"ref{index}", inst, True)
        result = check(inst, good, reference_answer(inst))
        assert result.passed, f"{inst.id}: {result.reason}"
        bad = _workdir(tmp_path / f"empty{index}", inst, False)
        result = check(inst, bad, "")
        assert not result.passed, inst.id
        assert result.reason


def test_level_strings_and_unknowns():
    assert generate("reason.arithmetic", "L2", 0, 0) == generate("reason.arithmetic", 2, 0, 0)
    with pytest.raises(ValueError):
        generate("reason.arithmetic", 4, 0, 0)
    with pytest.raises(KeyError):
        generate("no.such.primitive", 1, 0, 0)


def test_network_primitives_are_marked():
    for pid in ("tool.web", "tool.browser"):
        for level in (1, 2, 3):
            assert generate(pid, level, 0, 0).requires_network
    assert not generate("tool.exec", 1, 0, 0).requires_network


def test_wrong_answers_fail_specific_checkers(tmp_path):
    inst = generate("reason.arithmetic", 1, 0, 0)
    wrong = str(float(reference_answer(inst)) + 1)
    assert not check(inst, tmp_path, wrong).passed
    rx = generate("gen.regex", 1, 0, 0)
    assert not check(rx, tmp_path, ".*").passed  # matches the held-out negatives
    py = generate("gen.code.python", 1, 0, 0)
    assert not check(py, tmp_path, "```python\nprint('hi')\n```").passed


def test_numeric_tolerance_is_relative(tmp_path):
    inst = generate("reason.arithmetic", 2, 0, 0)
    value = float(reference_answer(inst))
    assert check(inst, tmp_path, f"The answer is {value * (1 + 1e-9)}").passed
    assert not check(inst, tmp_path, str(value * 1.001)).passed
