"""Profiles in SkVM's published shape (SJTU-IPADS/SkVM-data ``profiles/<harness>/<model>/``).

SkVM shape::

    {"version": "1.0", "model": "qwen/qwen3.5-9b", "harness": "bare-agent",
     "profiledAt": "...", "capabilities": {"gen.code.python": "L3", ...},
     "provenance": {"measuredBy": ..., "source": ..., "path": ..., "note": ...}}

skvmc shape: the same map, harness ``bare``, and provenance {source, command, date, measured,
notes}. Both convert losslessly: the other side's provenance rides along as JSON in
``note`` / ``notes`` and is restored on the way back, so ``from_skvm(to_skvm(p)) == p`` and
``to_skvm(from_skvm(s)) == s``.

Capability values are read tolerantly: "L2", 2, or {"level": "L2", ...} (per-level details as
some SkVM dumps carry them); they are written as "L<n>".
"""

from __future__ import annotations

import json
from pathlib import Path

SKVM_VERSION = "1.0"
HARNESS_TO_SKVM = {"bare": "bare-agent"}
HARNESS_FROM_SKVM = {v: k for k, v in HARNESS_TO_SKVM.items()}
_OURS_KEY = "skvmc_provenance"
_THEIRS_KEY = "skvm_provenance"


class FormatError(ValueError):
    """The file is not a SkVM (or skvmc) profile."""


def is_skvm(data: dict) -> bool:
    return isinstance(data.get("provenance"), dict) and "measuredBy" in data["provenance"]


def _level(value, primitive: str) -> str:
    if isinstance(value, dict):
        value = value.get("level", value.get("value"))
    if isinstance(value, bool):
        raise FormatError(f"{primitive}: bad level {value!r}")
    if isinstance(value, int) and 0 <= value <= 3:
        return f"L{value}"
    if isinstance(value, str) and value.strip().upper() in ("L0", "L1", "L2", "L3"):
        return value.strip().upper()
    raise FormatError(f"{primitive}: bad level {value!r} (expected L0..L3)")


def _capabilities(data: dict) -> dict:
    caps = data.get("capabilities")
    if not isinstance(caps, dict):
        raise FormatError("'capabilities' must be an object")
    return {p: _level(v, p) for p, v in sorted(caps.items())}


def from_skvm(data: dict) -> dict:
    """A SkVM-shape profile as a skvmc-shape profile (schema-valid)."""
    if not is_skvm(data):
        raise FormatError("not a SkVM profile (provenance.measuredBy missing)")
    for key in ("model", "harness"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise FormatError(f"'{key}' must be a non-empty string")
    prov = data["provenance"]
    restored = _json_dict(prov.get("note"))
    if restored and _OURS_KEY in restored:  # written by to_skvm: give back the original
        ours = restored[_OURS_KEY]
        return {"model": data["model"], "harness": restored.get("harness", data["harness"]),
                "profiledAt": data.get("profiledAt"), "capabilities": _capabilities(data),
                "provenance": ours}
    theirs = {"version": data.get("version"), "harness": data["harness"],
              "provenance": prov}
    source = f"SkVM: {prov.get('measuredBy', '')}; {prov.get('source', '')}".strip()
    return {"model": data["model"], "harness": HARNESS_FROM_SKVM.get(data["harness"],
                                                                     data["harness"]),
            "profiledAt": data.get("profiledAt"), "capabilities": _capabilities(data),
            "provenance": {"source": source, "url": prov.get("path", ""),
                           "date": data.get("profiledAt"), "measured": True,
                           "notes": json.dumps({_THEIRS_KEY: theirs}, sort_keys=True)}}


def to_skvm(profile: dict, details: dict | None = None) -> dict:
    """A skvmc-shape profile in SkVM's shape. ``details`` (from the runner's summary) adds
    per-primitive pass counts to the note, as SkVM's own dumps keep them."""
    if is_skvm(profile):
        return dict(profile)
    prov = profile.get("provenance") or {}
    restored = _json_dict(prov.get("notes"))
    if restored and _THEIRS_KEY in restored:  # came from from_skvm: give back the original
        theirs = restored[_THEIRS_KEY]
        out = {}
        if theirs.get("version") is not None:
            out["version"] = theirs["version"]
        out.update({"model": profile["model"], "harness": theirs["harness"],
                    "profiledAt": profile.get("profiledAt"),
                    "capabilities": _capabilities(profile), "provenance": theirs["provenance"]})
        return out
    note = {_OURS_KEY: prov, "harness": profile["harness"]}
    if details:
        note["levels"] = {p: {lv: f"{d['passed']}/{d['total']}" for lv, d in s["levels"].items()}
                          for p, s in sorted(details.items())}
    return {"version": SKVM_VERSION, "model": profile["model"],
            "harness": HARNESS_TO_SKVM.get(profile["harness"], profile["harness"]),
            "profiledAt": profile.get("profiledAt"), "capabilities": _capabilities(profile),
            "provenance": {"measuredBy": "skvmc profile (a level passes when all its "
                                         "instances pass)",
                           "source": prov.get("source", "skvmc"),
                           "path": prov.get("command", prov.get("url", "")),
                           "note": json.dumps(note, sort_keys=True)}}


def read_profile(path: str | Path) -> dict:
    """Either shape from a file, returned in the skvmc shape."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise FormatError(f"{path}: a profile is a JSON object")
    if is_skvm(data):
        return from_skvm(data)
    return data


def _json_dict(text) -> dict | None:
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
