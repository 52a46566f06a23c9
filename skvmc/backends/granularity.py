"""How much of a skill one agent loop gets: the whole skill, or one VM-sequenced step each.

The decision reads the requirement statuses that lower-capabilities left in the IR (``legal``:
the target's profile covers it; ``lowered``/``gap``: it does not), and what was measured:

- the target covers the procedure (every ``follow.procedure`` requirement legal): **whole**,
  one ASK over the compiled skill, as a harness would run it;
- it does not: **split** only when the profile also covers every step (no gap outside
  procedure/planning) *and* a measurement of this model in this harness
  (``targets/granularity/MODEL--HARNESS.json``, written by ``bench/granularity_evidence.py``
  from two bench runs of the same tasks, ``--granularity whole`` and ``split``) shows the
  split program passing more tasks over at least ``MIN_RUNS`` graded runs each. Otherwise
  **whole**: a profile that says the model cannot hold a sequence does not show that the VM
  sequencing it helps (on the 1.5B the split program lost to the raw skill: it cost more
  calls and later steps overwrote what earlier ones wrote), and unknown means don't.

``--granularity=whole|split`` overrides the choice (the bench compares both).
"""

from __future__ import annotations

import attrs

from skvmc.targets.jsonload import measurement_for

_PROCEDURE = ("follow.procedure", "reason.planning")
MIN_RUNS = 3  # fewer graded runs per mode than this decide nothing
_LOOKUP = object()


@attrs.frozen
class Granularity:
    mode: str  # whole | split
    reason: str

    def to_json(self) -> dict:
        return {"mode": self.mode, "reason": self.reason}


def _requirements(module):
    for op in module.walk():
        yield from op.attr("requires", ()) or ()


def measurement(target) -> dict | None:
    """The shipped whole-vs-split measurement of this target's model in its harness."""
    if target is None:
        return None
    return measurement_for("granularity", "granularity", target.model, target.harness)


def _seen(rec: dict) -> str:
    m = rec["modes"]
    return (f"measured whole {m['whole']['passed']}/{m['whole']['graded']}, split "
            f"{m['split']['passed']}/{m['split']['graded']} ({rec['source']})")


def choose(module, requested: str = "auto", target=None, measured=_LOOKUP) -> Granularity:
    """``measured``: the whole-vs-split record (default: the shipped one for ``target``)."""
    if requested in ("whole", "split"):
        return Granularity(requested, f"requested (--granularity={requested})")
    reqs = list(_requirements(module))
    proc = [r for r in reqs if r.get("primitive") == "follow.procedure"]
    if not proc:
        return Granularity("whole", "no multi-step procedure: the skill is one step")
    need = max(_level(r) for r in proc)
    if all(r.get("status") == "legal" for r in proc):
        return Granularity("whole", f"the target covers follow.procedure L{need}")
    lacks = f"the target lacks follow.procedure L{need}"
    gaps = sorted({f"{r['primitive']} L{_level(r)}" for r in reqs
                   if r.get("status") == "gap" and r.get("primitive") not in _PROCEDURE})
    if gaps:
        shown = ", ".join(gaps[:4]) + (f" and {len(gaps) - 4} more" if len(gaps) > 4 else "")
        return Granularity("whole", f"{lacks} and steps need {shown}: a split has no "
                                    "measured benefit, so the skill stays one loop as written")
    rec = measurement(target) if measured is _LOOKUP else measured
    if rec is None:
        return Granularity("whole", f"{lacks} but covers every step; no measurement shows "
                                    "the split program helping this model, so the skill "
                                    "stays one loop as written (unknown means don't)")
    whole, split = rec["modes"]["whole"], rec["modes"]["split"]
    if min(whole["graded"], split["graded"]) < MIN_RUNS:
        return Granularity("whole", f"{lacks} but covers every step; too few measured runs "
                                    f"to choose a split ({_seen(rec)})")
    if split["passed"] / split["graded"] > whole["passed"] / whole["graded"]:
        return Granularity("split", f"{lacks} but covers every step, and the split program "
                                    f"passed more: {_seen(rec)}")
    return Granularity("whole", f"{lacks} but covers every step; the split program did not "
                                f"pass more: {_seen(rec)}")


def _level(r) -> int:
    level = r.get("level", 0)
    if isinstance(level, str):
        level = int(level.lstrip("Ll") or 0)
    return int(level)
