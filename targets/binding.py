"""Harness binding routes: how a compiled skill reaches a model inside a harness.

A harness that discovers skills lists each one's name and description and leaves loading
the SKILL.md to the model (pi: the ``read`` tool; opencode: its ``skill`` tool). Weak models
often never load it, or call the skill's name as a tool. The routes:

  skill-folder     the harness's own layout only (``<projectPath>/<name>/SKILL.md`` + bundle)
  context-file     also the compiled instructions in the harness's always-read context file
                   (AGENTS.md ...), so the model has them without loading anything
  context-pointer  also a short note in the context file naming the tool that loads the
                   skill and the exact call (for a body too large to put in every prompt)

The choice is made from measurements of this model in this harness (``bindings/*.json``,
written from ``skvmc bench --harness`` results): the route with the best measured pass rate
when two or more were measured, else context-file / context-pointer when the model was
measured to load the skill itself in under half of its runs, else skill-folder. Without a
measurement nothing changes (unknown means don't).
"""

from __future__ import annotations

import attrs

from skvmc.targets.jsonload import measurement_for

ROUTES = ("skill-folder", "context-file", "context-pointer")
MIN_RUNS = 3  # fewer measured runs than this decide nothing
LOAD_RATE_BELOW = 0.5  # "the model does not load skills by itself"
# The context file is in every prompt: a body above this share of the model's context
# window (or above the cap) gets a pointer instead of the whole text.
BODY_SHARE, BODY_CAP_TOKENS = 0.10, 4000


@attrs.frozen
class Binding:
    route: str
    reason: str
    measurement: dict | None = None  # the record the choice came from
    source: str | None = None

    def to_json(self) -> dict:
        return {"route": self.route, "reason": self.reason, "measurement": self.measurement,
                "source": self.source}


def measurement(model, harness) -> dict | None:
    return measurement_for("bindings", "binding", model, harness)


def _rate(cell: dict) -> float:
    return cell["passed"] / cell["graded"]


def body_budget(model) -> int:
    window = model.context_window or 8192
    return min(BODY_CAP_TOKENS, int(window * BODY_SHARE))


_LOOKUP = object()


def choose(model, harness, body_tokens: int, rec=_LOOKUP, requested: str = "auto") -> Binding:
    """The route for this model+harness and a compiled body of ``body_tokens`` tokens;
    ``rec`` is the measurement (default: the shipped one for this pair, if any);
    ``requested``: a route name forces that route (``--binding-route``, to measure it)."""
    if harness.skill_format != "skill-md":
        return Binding("skill-folder", f"{harness.name} has no skill discovery; its own "
                       f"format ({harness.skill_format}) is the layout")
    if requested != "auto":
        if requested != "skill-folder" and harness.context_file is None:
            return Binding("skill-folder", f"--binding-route={requested} asked for, but "
                           f"{harness.name} has no always-read context file")
        return Binding(requested, f"requested (--binding-route={requested})")
    if rec is _LOOKUP:
        rec = measurement(model, harness)
    if rec is None:
        return Binding("skill-folder", f"no measurement of {model.alias} in {harness.name}: "
                       "the harness's own layout (unknown means don't)")
    src = rec.get("source")
    fits = body_tokens <= body_budget(model)
    usable = {r: c for r, c in (rec.get("routes") or {}).items()
              if c["graded"] >= MIN_RUNS and (r != "context-file" or fits)}
    if harness.context_file is None:
        usable = {r: c for r, c in usable.items() if r == "skill-folder"}
    if len(usable) >= 2:
        best = max(usable, key=lambda r: (_rate(usable[r]), r == "skill-folder"))
        seen = ", ".join(f"{r} {c['passed']}/{c['graded']}" for r, c in sorted(usable.items()))
        return Binding(best, f"best measured pass rate of {model.alias} in {harness.name} "
                       f"({seen})", rec, src)
    load = rec.get("skillLoading")
    if not load or load["runs"] < MIN_RUNS:
        return Binding("skill-folder", f"too few measured runs of {model.alias} in "
                       f"{harness.name}: the harness's own layout", rec, src)
    rate = load["loaded"] / load["runs"]
    seen = f"loaded the skill itself in {load['loaded']} of {load['runs']} runs"
    if rate >= LOAD_RATE_BELOW:
        return Binding("skill-folder", f"{model.alias} {seen} in {harness.name}", rec, src)
    if harness.context_file is None:
        return Binding("skill-folder", f"{model.alias} {seen}, but {harness.name} has no "
                       "always-read context file", rec, src)
    if fits:
        return Binding("context-file", f"{model.alias} {seen} in {harness.name}: the "
                       f"instructions go into {harness.context_file}, which it always reads",
                       rec, src)
    return Binding("context-pointer", f"{model.alias} {seen} in {harness.name}, and the body "
                   f"({body_tokens} tokens) is over the {body_budget(model)}-token budget "
                   f"for {harness.context_file}: a note there names the loading tool", rec, src)


def load_call(harness, skill_path: str, name: str) -> str:
    """How the model loads the skill in this harness, in words with the tool's name."""
    for tool in ("skill", "invoke_skill"):  # a skill tool (opencode, OpenHands) takes the name
        if tool in harness.other_tools:
            return f"call the `{tool}` tool with name `{name}`"
    if harness.tools.get("read"):
        return f"read `{skill_path}` with the `{harness.tools['read']}` tool"
    if harness.tools.get("exec"):
        return f"run `cat {skill_path}` with the `{harness.tools['exec']}` tool"
    return f"open `{skill_path}`"
