"""How much of a skill one agent loop gets: the whole skill, or one VM-sequenced step each.

The decision reads the requirement statuses that lower-capabilities left in the IR (``legal``:
the target's profile covers it; ``lowered``/``gap``: it does not):

- the target covers the procedure (every ``follow.procedure`` requirement legal): **whole**,
  one ASK over the compiled skill, as a harness would run it;
- it does not, but it covers every step (no gap outside procedure/planning): **split**, since
  the profile says the model holds each step and not the sequence;
- it covers neither: **whole**. The profile gives no reason to expect a split to help, and the
  bench measured the split program losing to the raw skill on such models (bench/results).

``--granularity=whole|split`` overrides the choice (the bench compares both).
"""

from __future__ import annotations

import attrs

_PROCEDURE = ("follow.procedure", "reason.planning")


@attrs.frozen
class Granularity:
    mode: str  # whole | split
    reason: str

    def to_json(self) -> dict:
        return {"mode": self.mode, "reason": self.reason}


def _requirements(module):
    for op in module.walk():
        yield from op.attr("requires", ()) or ()


def choose(module, requested: str = "auto") -> Granularity:
    if requested in ("whole", "split"):
        return Granularity(requested, f"requested (--granularity={requested})")
    reqs = list(_requirements(module))
    proc = [r for r in reqs if r.get("primitive") == "follow.procedure"]
    if not proc:
        return Granularity("whole", "no multi-step procedure: the skill is one step")
    need = max(_level(r) for r in proc)
    if all(r.get("status") == "legal" for r in proc):
        return Granularity("whole", f"the target covers follow.procedure L{need}")
    gaps = sorted({f"{r['primitive']} L{_level(r)}" for r in reqs
                   if r.get("status") == "gap" and r.get("primitive") not in _PROCEDURE})
    if not gaps:
        return Granularity("split", f"the target lacks follow.procedure L{need} but covers "
                                    "every step: the VM sequences the steps")
    shown = ", ".join(gaps[:4]) + (f" and {len(gaps) - 4} more" if len(gaps) > 4 else "")
    return Granularity("whole", f"the target lacks follow.procedure L{need} and steps need "
                                f"{shown}: a split has no measured benefit, so the skill "
                                "stays one loop as written")


def _level(r) -> int:
    level = r.get("level", 0)
    if isinstance(level, str):
        level = int(level.lstrip("Ll") or 0)
    return int(level)
