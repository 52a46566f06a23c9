"""Adaptive recompilation: a step that fails for lack of a capability lowers that capability.

The compiled program names, per step, the primitives it relies on and at what level::

    program.meta["steps"][str(pc)]["requires"] = [{"primitive": "gen.code.python",
                                                   "level": "L2"}, ...]

(``pc`` is the instruction index of the step's ``ask``/``exec``/``solid``). When a run fails
at (or after, within the same step) such an instruction, each required primitive is lowered
one level below what the step assumed, in a per-target *overlay* (primitive -> level, the
``overlay=`` of ``skvmc.targets.effective_profile``) persisted beside the JIT state; the skill
is recompiled against it and the task retried, at most ``max_recompiles`` times. Why each
retry happened is appended to the failed attempt's trace (a ``"recompile"`` record) and
returned in :class:`AdaptiveResult`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import attrs

from skvmc.fsutil import atomic_write_json
from skvmc.vm.jit import _safe, cache_dir

DEFAULT_MAX_RECOMPILES = 2


def parse_level(level) -> int:
    """'L2' / 2 -> 2."""
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    m = re.fullmatch(r"[Ll]?([0-3])", str(level).strip())
    if not m:
        raise ValueError(f"bad level {level!r} (expected L0..L3)")
    return int(m.group(1))


class OverlayStore:
    """Per-target overlays in ``<jit cache>/overlays/<target>.json`` (atomic writes)."""

    def __init__(self, root: str | Path | None = None):
        self.root = (Path(root) if root is not None else cache_dir()) / "overlays"

    def path(self, target: str) -> Path:
        return self.root / f"{_safe(target)}.json"

    def load(self, target: str) -> dict:
        try:
            data = json.loads(self.path(target).read_text(encoding="utf-8"))
            return {str(k): f"L{parse_level(v)}" for k, v in data.get("overlay", {}).items()}
        except (OSError, ValueError, AttributeError):
            return {}

    def save(self, target: str, overlay: dict, history: list | None = None) -> None:
        atomic_write_json(self.path(target), {"target": target, "overlay": overlay,
                                              "history": (history or [])[-50:]})


def step_requirements(program, pc: int | None) -> tuple[int | None, list[dict]]:
    """The step owning instruction ``pc`` (the nearest step start at or before it) and its
    ``requires`` list."""
    steps = (program.meta or {}).get("steps") or {}
    if pc is None or not isinstance(steps, dict):
        return None, []
    starts = sorted(int(k) for k in steps if str(k).isdigit() and int(k) <= pc)
    if not starts:
        return None, []
    owner = starts[-1]
    reqs = steps[str(owner)].get("requires") or []
    return owner, [r for r in reqs if isinstance(r, dict) and r.get("primitive")]


def failed_pc(trace_path) -> int | None:
    """The index of the instruction whose failure ended the run, read from its trace."""
    if not trace_path or not Path(trace_path).is_file():
        return None
    found = None
    with open(trace_path, encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("type") == "instr" and rec.get("status") == "failed":
                found = rec.get("index")
    return found


def lower(overlay: dict, requires: list[dict]) -> dict:
    """Lower each required primitive below the level the step assumed; returns the changes
    ``{primitive: [old, new]}`` (nothing for a primitive already at L0)."""
    changes = {}
    for r in requires:
        prim = str(r["primitive"])
        assumed = parse_level(r.get("level", "L3"))
        current = parse_level(overlay[prim]) if prim in overlay else assumed
        new = min(current, assumed) - 1
        if new < 0:
            continue
        changes[prim] = [f"L{current}", f"L{new}"]
        overlay[prim] = f"L{new}"
    return changes


@attrs.define
class AdaptiveResult:
    result: object  # the last RunResult
    program: object  # the program of the last attempt
    overlay: dict
    recompiles: list = attrs.Factory(list)  # why each recompile happened

    @property
    def status(self) -> str:
        return self.result.status


def run_adaptive(program, run_once: Callable, recompile: Callable, *, target: str,
                 store: OverlayStore | None = None, max_recompiles: int = DEFAULT_MAX_RECOMPILES,
                 persist: bool = True) -> AdaptiveResult:
    """Run ``program`` (``run_once(program, attempt) -> RunResult`` with a trace); on a failure
    attributable to a capability, lower it, ``recompile(overlay) -> Program`` and retry."""
    store = store if store is not None else OverlayStore()
    overlay = store.load(target)
    history: list = []
    recompiles: list = []
    attempt = 0
    while True:
        result = run_once(program, attempt)
        if result.status != "failed" or attempt >= max_recompiles:
            break
        pc = failed_pc(result.trace_path)
        owner, reqs = step_requirements(program, pc)
        if not reqs:
            break  # not attributable to a capability: nothing to learn
        changes = lower(overlay, reqs)
        if not changes:
            break  # already at the bottom
        why = {"type": "recompile", "attempt": attempt, "failed_pc": pc, "step_pc": owner,
               "error": result.error, "lowered": changes, "overlay": dict(overlay)}
        recompiles.append(why)
        history.append(why)
        _append_trace(result.trace_path, why)
        if persist:
            store.save(target, overlay, store_history(store, target) + history)
            history = []
        program = recompile(dict(overlay))
        attempt += 1
    return AdaptiveResult(result, program, dict(overlay), recompiles)


def store_history(store: OverlayStore, target: str) -> list:
    try:
        return json.loads(store.path(target).read_text(encoding="utf-8")).get("history", [])
    except (OSError, ValueError, AttributeError):
        return []


def _append_trace(trace_path, record: dict) -> None:
    if trace_path and Path(trace_path).is_file():
        with open(trace_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")
