"""MODEL+HARNESS targets and their effective capability profile."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import attrs

from skvmc.diagnostics import DiagnosticEngine, TargetLookupError
from skvmc.ir import Location
from skvmc.targets.descriptors import (
    HarnessDescriptor,
    ModelDescriptor,
    _harnesses,
    find_harness,
    find_model,
    load_harness_file,
    load_model_file,
    model_names,
)
from skvmc.targets.jsonload import HERE
from skvmc.targets.profile import Profile, capped, load_profile, parse_level, primitive_ids

# Extra directories searched for measured profiles (e.g. written by `skvmc profile`),
# separated like PATH. Searched before the shipped profiles.
PROFILE_PATH_ENV = "SKVMC_PROFILE_PATH"


class TargetError(TargetLookupError):
    """A target the user named cannot be used; the message is meant for the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@attrs.frozen
class Target:
    model: ModelDescriptor
    harness: HarnessDescriptor

    def __str__(self) -> str:
        return f"{self.model.alias}+{self.harness.name}"


def _suggest(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        hint = " or ".join(f"'{c}'" for c in close)
        return f"unknown {kind} '{name}'; did you mean {hint}?"
    return f"unknown {kind} '{name}' (known: {', '.join(sorted(known))})"


def get_model(alias: str) -> ModelDescriptor:
    """A shipped model by alias or other alias; TargetError with suggestions otherwise."""
    m = find_model(alias)
    if m is None:
        raise TargetError(_suggest("model", alias, sorted(model_names())))
    return m


def get_harness(name: str) -> HarnessDescriptor:
    """A shipped harness by name; TargetError with suggestions otherwise."""
    h = find_harness(name)
    if h is None:
        raise TargetError(_suggest("harness", name, sorted(_harnesses())))
    return h


def _is_path(part: str) -> bool:
    return part.endswith(".json") or os.sep in part or part.startswith(".")


def _from_file(part: str, kind: str, loader, diags: DiagnosticEngine | None):
    own = diags if diags is not None else DiagnosticEngine()
    if not Path(part).is_file():
        raise TargetError(f"{kind} file '{part}' does not exist")
    desc = loader(part, own)
    if desc is None:
        msg = f"invalid {kind} file '{part}'"
        if diags is None:  # nobody else will print them
            msg += ":\n" + own.render_all()
        raise TargetError(msg)
    return desc


def parse_target(spec: str, diags: DiagnosticEngine | None = None) -> Target:
    """'qwen-7b+openhands' -> Target. Either part may be a path to a JSON file (a model
    descriptor or a profile for the model part, a harness descriptor for the harness part).
    Raises TargetError with "did you mean" suggestions; problems inside a user file go to
    ``diags`` when given (else into the error message)."""
    if spec.count("+") < 1:
        raise TargetError(f"target '{spec}' must be MODEL+HARNESS, e.g. qwen-7b+openhands")
    model_part, harness_part = spec.rsplit("+", 1)
    if not model_part or not harness_part:
        raise TargetError(f"target '{spec}' must be MODEL+HARNESS, e.g. qwen-7b+openhands")
    problems = []
    model = harness = None
    try:
        model = (_from_file(model_part, "model", load_model_file, diags)
                 if _is_path(model_part) else get_model(model_part))
    except TargetError as exc:
        problems.append(exc.message)
    try:
        harness = (_from_file(harness_part, "harness", load_harness_file, diags)
                   if _is_path(harness_part) else get_harness(harness_part))
    except TargetError as exc:
        problems.append(exc.message)
    if problems:
        raise TargetError("; ".join(problems))
    return Target(model, harness)


def _profile_dirs(extra) -> list[Path]:
    dirs = [Path(d) for d in (extra or ())]
    env = os.environ.get(PROFILE_PATH_ENV, "")
    dirs += [Path(d) for d in env.split(os.pathsep) if d]
    dirs.append(HERE / "profiles")
    return dirs


def _json_files(folder: Path) -> list[str]:
    """``sorted(folder.glob("*.json"))`` as strings (empty for a missing or unreadable
    folder), without a Path object per entry: every target's compile asks."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".json"))
    except OSError:  # missing, not a folder, unreadable: no profiles there
        return []
    base = str(folder)
    return [os.path.join(base, n) for n in names]


def find_measured_pair(target: Target, profile_dirs=None,
                       diags: DiagnosticEngine | None = None) -> Profile | None:
    """A measured profile of exactly this model on exactly this harness, if one exists.

    Searched in order: ``profile_dirs``, $SKVMC_PROFILE_PATH, the shipped profiles; the first
    match wins. Unmeasured or derived profiles never count; invalid files are skipped, each
    with a warning in ``diags`` (when given) saying why."""
    models = target.model.names()
    harnesses = set(target.harness.profile_harness_names)
    for d in _profile_dirs(profile_dirs):
        for f in _json_files(d):
            if f.endswith(".details.json"):  # `skvmc profile`'s per-instance record
                continue
            own = DiagnosticEngine(diags.sources if diags is not None else None)
            prof = load_profile(f, own)
            if prof is None and diags is not None:
                first = next((x for x in own.diagnostics if x.severity == "error"), None)
                why = f": {first.message}" if first is not None else ""
                where = first.loc if first is not None and first.loc else Location(str(f))
                diags.warning(f"skipping invalid profile '{f}'{why}", where,
                              code="profile-skipped")
            if prof and prof.measured and prof.model in models and prof.harness in harnesses:
                return prof
    return None


def _empty_profile(target: Target) -> Profile:
    levels = {p: None for p in primitive_ids()}
    return Profile(model=target.model.alias, harness="?", levels=levels,
                   provenance={"source": "no profile for this model: every level unknown"},
                   sources={p: "unknown" for p in levels})


def effective_profile(target: Target, overlay: dict | None = None,
                      profile_dirs=None, diags: DiagnosticEngine | None = None) -> Profile:
    """The levels the compiler may rely on for ``target``.

    A measured profile of the exact pair is preferred; otherwise the model's profile capped
    by the harness (min per primitive). ``overlay`` (primitive -> level, 'L1' or 1), e.g.
    lowered levels learned by adaptive recompilation, is applied last, also as a min.
    The result's ``harness`` is the target's harness; ``sources`` says where each level
    came from."""
    pair = find_measured_pair(target, profile_dirs, diags)
    if pair is not None:
        prof = attrs.evolve(pair, sources={p: ("measured pair" if v is not None else "unknown")
                                           for p, v in pair.levels.items()})
    else:
        if target.model.profile_path:
            diags = DiagnosticEngine()
            base = load_profile(target.model.profile_path, diags)
            if base is None:
                raise TargetError(f"profile of model '{target.model.alias}' is invalid:\n"
                                  + diags.render_all())
        else:
            base = _empty_profile(target)
        prof = capped(base, target.harness.caps, "harness cap")
    if overlay:
        bounds = {}
        for prim, lvl in overlay.items():
            if prim not in prof.levels:
                raise ValueError(f"overlay names unknown primitive {prim!r}")
            bounds[prim] = parse_level(lvl)
        prof = capped(prof, bounds, "overlay")
    return attrs.evolve(prof, harness=target.harness.name)
