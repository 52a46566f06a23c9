"""Target capability profiles (TCP): a level L0..L3 for each of the 26 primitives.

Unknown levels
--------------
A primitive missing from a profile's ``capabilities`` map is *unknown* (``level()`` returns
None). For legality an unknown level counts as **L0**: ``allows(p, n)`` is True only for
``n == 0``. This is the conservative choice: a compiler that wrongly assumes a capability
emits a skill that fails on the target, while one that wrongly assumes its absence only adds
compensation (more explicit steps, a helper script) that costs tokens, not correctness. Taking
"the minimum of the measured levels" instead would invent a number nobody measured (and for
``tool.web`` on a model that scores L3 everywhere it would guess L3). The four published SkVM
profiles that lack ``tool.web`` therefore treat it as L0 until someone measures it.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import attrs

from skvmc.diagnostics import DiagnosticEngine
from skvmc.targets.jsonload import HERE, read_json, validate

LEVEL_NAMES = ("L0", "L1", "L2", "L3")


@functools.cache
def catalogue() -> dict:
    """The shipped primitive catalogue (a copy of ../shared/reference/primitives.json)."""
    return json.loads((HERE / "primitives.json").read_text(encoding="utf-8"))


@functools.cache
def primitive_ids() -> tuple[str, ...]:
    """The 26 primitive ids in catalogue order."""
    return tuple(p["id"] for p in catalogue()["primitives"])


def parse_level(value) -> int:
    """'L2' or 2 -> 2; raises ValueError for anything else (used for overlays, not files)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
        return value
    if isinstance(value, str) and value in LEVEL_NAMES:
        return LEVEL_NAMES.index(value)
    raise ValueError(f"not a level: {value!r} (expected L0..L3 or 0..3)")


def level_name(level: int | None) -> str:
    return "unknown" if level is None else LEVEL_NAMES[level]


@attrs.frozen
class Profile:
    """Levels of one model+harness pair.

    ``levels`` maps every one of the 26 primitive ids to 0..3, or None when unknown.
    ``sources`` says where each level came from: "model", "measured pair", "harness cap",
    "overlay" or "unknown". ``provenance`` is the file's provenance object as written.
    """

    model: str
    harness: str
    levels: dict[str, int | None]
    provenance: dict = attrs.field(factory=dict)
    measured: bool = False
    path: str | None = None
    profiled_at: str | None = None
    sources: dict[str, str] = attrs.field(factory=dict)

    def level(self, primitive: str) -> int | None:
        """The level of a primitive, None when unknown. KeyError for a non-primitive."""
        if primitive not in self.levels:
            raise KeyError(f"unknown primitive {primitive!r}")
        return self.levels[primitive]

    def legal_level(self, primitive: str) -> int:
        """The level used for legality decisions: unknown counts as 0 (see module doc)."""
        lvl = self.level(primitive)
        return 0 if lvl is None else lvl

    def allows(self, primitive: str, level: int | str) -> bool:
        """May a skill rely on ``primitive`` at ``level``? Unknown allows only L0."""
        return parse_level(level) <= self.legal_level(primitive)

    def source(self, primitive: str) -> str:
        return self.sources.get(primitive, "model" if self.levels.get(primitive) is not None
                                else "unknown")


def profile_from_data(data: dict, path: str | None = None) -> Profile:
    """Build a Profile from already-validated JSON data."""
    caps = data.get("capabilities", {})
    levels = {p: (LEVEL_NAMES.index(caps[p]) if p in caps else None) for p in primitive_ids()}
    prov = data.get("provenance", {})
    # The published SkVM shape carries measuredBy; ours says measured: true/false.
    measured = bool(prov.get("measured", "measuredBy" in prov))
    sources = {p: ("model" if levels[p] is not None else "unknown") for p in levels}
    return Profile(model=data["model"], harness=data["harness"], levels=levels,
                   provenance=prov, measured=measured, path=path,
                   profiled_at=data.get("profiledAt"), sources=sources)


def load_profile(path: str | Path, diags: DiagnosticEngine) -> Profile | None:
    """Load and validate a profile file (our shape or the published SkVM shape).

    Every schema problem is reported to ``diags`` at its file:line:col; the result is None
    when there was any error. Primitives absent from ``capabilities`` are unknown
    (``Profile.level`` is None) and count as L0 for legality: see the module docstring.
    """
    try:  # a valid file is read once per process (until it changes): compiles for many
        st = os.stat(path)  # targets look up the same profiles again and again
        # the file by identity (device, inode) and version, under the name it was asked by
        # (Profile.path): one stat, where resolving the path costs a stat per component
        stamp = (str(path), st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = None
    cached = _LOADED.get(stamp) if stamp else None
    if cached is not None:
        return cached
    got = read_json(path, diags)
    if got is None:
        return None
    data, spans, file = got
    if not validate(data, spans, file, "profile", diags, "profile"):
        return None
    prof = profile_from_data(data, str(path))
    if stamp:
        _LOADED[stamp] = prof
    return prof


_LOADED: dict[tuple, Profile] = {}  # (path, device, inode, mtime, size) -> valid profile


def capped(profile: Profile, bounds: dict[str, int], source: str) -> Profile:
    """Lower levels to ``bounds`` (min). An unknown level stays unknown unless the bound is 0,
    which makes it known-absent (the harness or overlay rules it out whatever the model does)."""
    levels = dict(profile.levels)
    sources = dict(profile.sources)
    for prim, bound in bounds.items():
        cur = levels[prim]
        if cur is None:
            if bound == 0:
                levels[prim], sources[prim] = 0, source
        elif bound < cur:
            levels[prim], sources[prim] = bound, source
    return attrs.evolve(profile, levels=levels, sources=sources)
