"""Model and harness descriptors: shipped JSON under models/ and harnesses/, or user files."""

from __future__ import annotations

import functools
from pathlib import Path

import attrs

from skvmc.diagnostics import DiagnosticEngine
from skvmc.targets.jsonload import HERE, read_json, validate
from skvmc.targets.profile import LEVEL_NAMES, Profile, load_profile

ACTIONS = ("exec", "read", "write", "edit", "list", "search", "fetch", "browser")


@attrs.frozen
class ModelDescriptor:
    alias: str
    aliases: tuple[str, ...]
    litellm: str
    context_window: int | None
    profile_path: str | None  # absolute path of the profile file, None when there is none
    profile_model: str | None
    description: str = ""
    sources: dict = attrs.field(factory=dict)
    path: str | None = None  # the descriptor file

    def names(self) -> set[str]:
        """Every name a profile's 'model' field may use for this model."""
        out = {self.alias, self.litellm, *self.aliases}
        if self.profile_model:
            out.add(self.profile_model)
        return out


@attrs.frozen
class HarnessDescriptor:
    name: str
    description: str
    project_path: str | None
    user_path: str | None
    other_paths: tuple[str, ...]
    skill_format: str
    context_file: str | None
    tools: dict[str, str | None]  # abstract action -> the harness's tool name, None if absent
    other_tools: tuple[str, ...]
    frontmatter_keys: tuple[str, ...]
    frontmatter_style: dict
    unknown_keys: str
    caps: dict[str, int]  # primitive -> highest level the harness lets through
    cap_sources: dict[str, str]
    profile_harness_names: tuple[str, ...]
    notes: tuple[str, ...] = ()
    sources: dict = attrs.field(factory=dict)
    path: str | None = None


def model_from_data(data: dict, path: str) -> ModelDescriptor:
    prof = data.get("profile")
    prof_path = str((Path(path).parent / prof).resolve()) if prof else None
    return ModelDescriptor(
        alias=data["alias"], aliases=tuple(data.get("aliases", ())), litellm=data["litellm"],
        context_window=data.get("contextWindow"), profile_path=prof_path,
        profile_model=data.get("profileModel"), description=data.get("description", ""),
        sources=dict(data.get("sources", {})), path=path)


def model_from_profile(profile: Profile) -> ModelDescriptor:
    """A user passed a profile file as the model part: use its model name for everything."""
    return ModelDescriptor(
        alias=profile.model, aliases=(), litellm=profile.model, context_window=None,
        profile_path=profile.path, profile_model=profile.model,
        description="from a profile file", sources={"profile": "user profile file"},
        path=profile.path)


def harness_from_data(data: dict, path: str) -> HarnessDescriptor:
    skills = data["skills"]
    fm = data["frontmatter"]
    caps = data.get("caps", {})
    return HarnessDescriptor(
        name=data["name"], description=data.get("description", ""),
        project_path=skills.get("projectPath"), user_path=skills.get("userPath"),
        other_paths=tuple(skills.get("otherPaths", ())),
        skill_format=skills.get("format", "skill-md"), context_file=data.get("contextFile"),
        tools={a: data["tools"].get(a) for a in ACTIONS},
        other_tools=tuple(data.get("otherTools", ())),
        frontmatter_keys=tuple(fm["keys"]), frontmatter_style=dict(fm.get("style", {})),
        unknown_keys=fm.get("unknownKeys", "unspecified"),
        caps={p: LEVEL_NAMES.index(c["max"]) for p, c in caps.items()},
        cap_sources={p: c["source"] + (" (inferred)" if c.get("inferred") else "")
                     for p, c in caps.items()},
        profile_harness_names=tuple(data.get("profileHarnessNames") or (data["name"],)),
        notes=tuple(data.get("notes", ())), sources=dict(data.get("sources", {})), path=path)


def load_model_file(path: str | Path, diags: DiagnosticEngine) -> ModelDescriptor | None:
    """A model descriptor, or a profile file standing in for one. None after errors."""
    got = read_json(path, diags)
    if got is None:
        return None
    data, spans, file = got
    if isinstance(data, dict) and "capabilities" in data:
        prof = load_profile(path, diags)
        return model_from_profile(prof) if prof else None
    if not validate(data, spans, file, "model", diags, "model descriptor"):
        return None
    return model_from_data(data, str(Path(path).resolve()))


def load_harness_file(path: str | Path, diags: DiagnosticEngine) -> HarnessDescriptor | None:
    got = read_json(path, diags)
    if got is None:
        return None
    data, spans, file = got
    if not validate(data, spans, file, "harness", diags, "harness descriptor"):
        return None
    return harness_from_data(data, str(Path(path).resolve()))


def _load_shipped(kind: str, loader):
    out = {}
    for f in sorted((HERE / kind).glob("*.json")):
        diags = DiagnosticEngine()
        desc = loader(f, diags)
        if desc is None:  # a broken shipped file is our bug, not the user's
            raise RuntimeError(f"shipped {kind} descriptor {f} is invalid:\n"
                               + diags.render_all())
        out[f.stem] = desc
    return out


@functools.cache
def _models() -> dict[str, ModelDescriptor]:
    return _load_shipped("models", load_model_file)


@functools.cache
def _harnesses() -> dict[str, HarnessDescriptor]:
    return _load_shipped("harnesses", load_harness_file)


def list_models() -> list[ModelDescriptor]:
    """Shipped models, sorted by alias."""
    return sorted(_models().values(), key=lambda m: m.alias)


def list_harnesses() -> list[HarnessDescriptor]:
    """Shipped harnesses, sorted by name."""
    return sorted(_harnesses().values(), key=lambda h: h.name)


def model_names() -> dict[str, ModelDescriptor]:
    """Every accepted spelling (alias and other aliases) -> model."""
    out = {}
    for m in list_models():
        for n in (m.alias, *m.aliases):
            out[n] = m
    return out


def find_model(name: str) -> ModelDescriptor | None:
    return model_names().get(name)


def find_harness(name: str) -> HarnessDescriptor | None:
    return _harnesses().get(name)
