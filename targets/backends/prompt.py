"""The ``prompt`` backend: the compiled SKILL.md, laid out where the harness looks for it.

- Path: ``<projectPath>/<name>/SKILL.md`` from the harness descriptor (``.agents/skills`` for
  openhands, ``.claude/skills`` for claude-code, ...). A harness with no project scope uses its
  user path without ``~/`` (hermes: ``.hermes/skills/<name>/SKILL.md``); a conventions-file
  harness (aider) gets ``CONVENTIONS.md`` at the top with the bundle under ``<name>/``.
- Frontmatter: only the keys the harness understands, in source order. When nothing is dropped
  and the harness has no style rule, the raw YAML is kept verbatim. openclaw's style (every key
  on one line, ``metadata`` as one-line JSON under its namespace, with the binaries and
  environment variables the skill requires) is honoured.
- Body: :mod:`skvmc.markdown` with the harness's tool names.
- Bundle: every file of the skill folder except SKILL.md, copied byte for byte through
  :mod:`skvmc.frontend.bundle` (no links leaving the folder, no special files, size limits).
"""

from __future__ import annotations

import json
import os

import yaml

from skvmc.frontend.bundle import BundleReader
from skvmc.frontend.refs import list_bundle
from skvmc.ir import thaw
from skvmc.markdown import emit_markdown



def skill_root(harness, name: str) -> str:
    """The folder (relative to the output) the harness reads this skill from."""
    if harness.skill_format == "conventions-file":
        return name
    base = harness.project_path or (harness.user_path or ".skills").removeprefix("~/")
    return f"{base.rstrip('/')}/{name}"


def skill_file(harness, name: str) -> str:
    if harness.skill_format == "conventions-file":
        return harness.context_file or "CONVENTIONS.md"
    return f"{skill_root(harness, name)}/SKILL.md"


def _fields(module) -> tuple[dict, str]:
    for op in module.body:
        if op.name == "skill.frontmatter":
            return thaw(op.attr("fields")), op.attr("raw")
    return {}, ""


def env_requirements(module) -> dict:
    """Binaries and variables the skill needs, from the env dialect (for harness metadata)."""
    bins, env = [], []
    for op in module.walk():
        if op.name == "env.dep" and op.attr("manager") == "system":
            bins.append(op.attr("name"))
        elif op.name == "env.var":
            env.append(op.attr("name"))
    return {k: sorted(set(v)) for k, v in (("bins", bins), ("env", env)) if v}


def frontmatter_for(harness, module) -> str:
    """The YAML text (between the --- lines) this harness gets."""
    fields, raw = _fields(module)
    allowed = harness.frontmatter_keys or ("name", "description")
    kept = {k: v for k, v in fields.items() if k in allowed}
    style = harness.frontmatter_style or {}
    namespace = style.get("metadataNamespace")
    if style.get("metadataAsOneLineJson") and "metadata" in allowed:
        requires = env_requirements(module)
        meta = kept.get("metadata") if isinstance(kept.get("metadata"), dict) else {}
        if requires and namespace:
            own = dict(meta.get(namespace) or {})
            own["requires"] = {**own.get("requires", {}), **requires}
            meta = {**meta, namespace: own}
        if meta:
            kept["metadata"] = meta
        else:
            kept.pop("metadata", None)
    if kept == fields and not style.get("singleLineKeys"):
        return raw
    if style.get("singleLineKeys"):
        lines = []
        for key, value in kept.items():
            if key == "metadata" and style.get("metadataAsOneLineJson"):
                text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
            elif isinstance(value, str):
                text = json.dumps(value, ensure_ascii=False)  # a JSON string is valid YAML
            else:
                text = json.dumps(value, ensure_ascii=False)
            lines.append(f"{key}: {text}\n")
        return "".join(lines)
    return yaml.safe_dump(kept, sort_keys=False, allow_unicode=True, width=10**6)


def bundle_files(skill_dir: str) -> list[str]:
    """The files copied beside the compiled SKILL.md: the bundle, as the frontend sees it."""
    return [f for f in list_bundle(skill_dir) if f != "SKILL.md"]


def emit(inp) -> dict[str, bytes]:
    harness = inp.harness
    name = inp.skill_name
    text = emit_markdown(inp.module, frontmatter=frontmatter_for(harness, inp.module))
    files = {skill_file(harness, name): text.encode("utf-8")}
    root = skill_root(harness, name)
    if os.path.isdir(inp.skill_dir):
        reader = inp.bundle or BundleReader(inp.skill_dir)
        for rel in bundle_files(inp.skill_dir):
            data = reader.read(rel)  # None: refused (link outside, special file, too big)
            if data is not None:
                files[f"{root}/{rel}"] = data
    inp.shared["skill_md"] = text
    inp.shared["skill_md_path"] = skill_file(harness, name)
    return files
