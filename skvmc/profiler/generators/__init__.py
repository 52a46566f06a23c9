"""Instance generators for the profiler: one per primitive (26) and level (L1-L3).

Public API:
    generate(primitive_id, level, seed, index) -> Instance      (deterministic)
    check(instance, workdir, answer) -> CheckResult             (deterministic, no model judge)
    reference_answer(instance) -> str                           (a perfect agent's reply)
    reference_files(instance) -> dict[path, text]               (what it leaves in the workdir)
    GENERATORS[primitive_id] -> Generator                       (table of all 26)

Instances with `requires_network=True` (tool.web, tool.browser) describe a fictitious API or
site in `expected` (`routes` / `pages`) but nothing serves it: an offline profiler must report
them as unknown, not failed. `requires` lists executables the checker needs (e.g. node).
"""
from __future__ import annotations

import random
from pathlib import Path

import attrs

from . import generation, instruction, reasoning, tool_use
from .base import CheckResult, Instance, run_checks


@attrs.frozen
class Generator:
    primitive: str
    levels: tuple  # (l1_fn, l2_fn, l3_fn); each takes random.Random and returns a spec dict

    def generate(self, level: int, seed: int, index: int) -> Instance:
        level = _level(level)
        rng = random.Random(f"{self.primitive}:{level}:{seed}:{index}")
        s = self.levels[level - 1](rng)
        return Instance(
            id=f"{self.primitive}-L{level}-s{seed}-i{index}", primitive=self.primitive, level=level,
            prompt=s["prompt"], files=dict(s["files"]),
            expected={"checks": s["checks"], "reference": {"answer": s["answer"], "files": s["ref_files"]},
                      **s.get("extra", {})},
            requires_network=s.get("requires_network", False), requires=tuple(s.get("requires", ())))


GENERATORS: dict[str, Generator] = {
    pid: Generator(pid, fns)
    for module in (generation, reasoning, tool_use, instruction)
    for pid, fns in module.LEVELS.items()
}


def _level(level) -> int:
    value = int(str(level).upper().lstrip("L"))
    if value not in (1, 2, 3):
        raise ValueError(f"level must be 1-3 (or 'L1'-'L3'), got {level!r}")
    return value


def generate(primitive_id: str, level, seed: int, index: int) -> Instance:
    try:
        gen = GENERATORS[primitive_id]
    except KeyError:
        raise KeyError(f"unknown primitive {primitive_id!r}") from None
    return gen.generate(level, seed, index)


def check(instance: Instance, workdir: Path, answer: str) -> CheckResult:
    return run_checks(instance, Path(workdir), answer)


def reference_answer(instance: Instance) -> str:
    return instance.expected["reference"]["answer"]


def reference_files(instance: Instance) -> dict:
    return dict(instance.expected["reference"]["files"])


__all__ = ["GENERATORS", "CheckResult", "Generator", "Instance", "check", "generate",
           "reference_answer", "reference_files"]
