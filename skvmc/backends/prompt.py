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
- Binding route (:mod:`skvmc.targets.binding`): where the model measurably does not load
  skills by itself, the harness's always-read context file (AGENTS.md ...) also gets the
  compiled instructions (``context-file``) or a note naming the tool that loads them
  (``context-pointer``). report.json ``binding`` says which route and why. With either and
  ``--harness-output-check``, pi also gets :mod:`skvmc.backends.output_check`'s extension
  (outputs the task asks for and the model did not write are asked for once more).
"""

from __future__ import annotations

import json
import os

import attrs

from skvmc.backends import PromptOutput, output_check, prompt_policy
from skvmc.edits import Edit, apply_edits, compute_edits, frontmatter_line_count
from skvmc.frontend.bundle import BundleReader
from skvmc.frontend.refs import list_bundle
from skvmc.ir import thaw
from skvmc.passes.bind_env import bind_markdown_paths
from skvmc.passes.results import DeadStepElimResult
from skvmc.targets import binding
from skvmc.tokens import count_tokens


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


def frontmatter_for(harness, module) -> str:
    """The YAML text (between the --- lines) this harness gets: the source's, verbatim.

    Every key is kept (harnesses ignore keys they do not know; none documents rejecting one).
    The one documented exception is a harness style rule: openclaw reads single-line keys only,
    with ``metadata`` as one-line JSON (docs/harness-facts.md)."""
    fields, raw = _fields(module)
    style = harness.frontmatter_style or {}
    if not style.get("singleLineKeys"):
        return raw
    lines = []
    for key, value in fields.items():
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": ")
                          if key == "metadata" else None)
        lines.append(f"{key}: {text}\n")
    return "".join(lines)


def bundle_files(skill_dir: str, reader=None) -> list[str]:
    """The files copied beside the compiled SKILL.md: the bundle, as the frontend sees it.
    ``reader``: the skill's ``BundleReader`` (its listing is taken once per skill)."""
    listing = reader.files() if reader is not None and reader.skill_dir == skill_dir \
        else list_bundle(skill_dir)
    return [f for f in listing if f != "SKILL.md"]


def emit(inp) -> dict[str, bytes]:
    harness = inp.harness
    name = inp.skill_name
    text, edits, refused = compiled_skill_md(inp)
    files = {skill_file(harness, name): text.encode("utf-8")}
    root = skill_root(harness, name)
    if os.path.isdir(inp.skill_dir):
        reader = inp.bundle or BundleReader(inp.skill_dir)
        for rel in bundle_files(inp.skill_dir, reader):
            data = reader.read(rel)  # None: refused (link outside, special file, too big)
            if data is not None:
                files[f"{root}/{rel}"] = data
    chosen = binding.choose(inp.target.model, harness, count_tokens(_body(text)),
                            requested=inp.binding_route)
    record = chosen.to_json()
    if chosen.route != "skill-folder":
        record["file"] = harness.context_file
        files[harness.context_file] = context_text(inp, chosen.route, text).encode("utf-8")
        check = output_check.files_for(harness) if inp.harness_output_check else {}
        if check:
            record["output_check"] = next(iter(check))
            files.update(check)
    inp.publish(PromptOutput(text, skill_file(harness, name), [e.to_json() for e in edits],
                             refused, record))
    return files


def _body(text: str) -> str:
    from skvmc.backends.report import body_of

    return body_of(text)


def context_text(inp, route: str, skill_md: str) -> str:
    """The context-file section for this skill: the compiled body (context-file) or how to
    load it (context-pointer), after its name and its own description."""
    harness, name = inp.harness, inp.skill_name
    root = skill_root(harness, name)
    description = " ".join(str(_fields(inp.module)[0].get("description", "")).split())
    lines = [f"<!-- skvmc: harness binding route {route} (see report.json 'binding') -->",
             f"## Skill `{name}`", ""]
    if description:
        lines += [f"When to use it: {description}", ""]
    if route == "context-pointer":
        how = binding.load_call(harness, f"{root}/SKILL.md", name)
        lines += [f"Before working on such a task, load its instructions: {how}.", ""]
        return "\n".join(lines)
    bundled = bundle_files(inp.skill_dir, inp.bundle) if os.path.isdir(inp.skill_dir) else []
    body = _body(skill_md).lstrip("\n")
    bound = bind_markdown_paths(body, commandable(bundled), root)
    if bound != body:  # the model runs commands from the workdir, where this file is
        lines += [f"Its folder is `{root}/`. The commands below name its files from the "
                  "working directory; other relative paths here are relative to that "
                  "folder.", ""]
    elif bundled:  # the body's relative paths point into the skill folder, not the cwd
        lines += [f"Its folder is `{root}/`; paths in these instructions (such as "
                  f"`{bundled[0]}`) are relative to that folder.", ""]
    return "\n".join(lines) + "\n" + bound


SCRIPT_SUFFIXES = (".py", ".sh", ".bash", ".js", ".mjs", ".cjs", ".ts", ".rb", ".pl")


def commandable(bundled: list[str]) -> list[str]:
    """The bundle files a command in the body names from the skill folder: those under one of
    its folders, and its top-level scripts. A top-level data file (``data.csv``) is left out:
    a command may mean the user's file of that name."""
    return [f for f in bundled if "/" in f or f.endswith(SCRIPT_SUFFIXES)]


def compiled_skill_md(inp):
    """(text, edits, refused): the source SKILL.md with the declared edits applied."""
    source_lines = inp.source_text.splitlines(keepends=True)
    newline = "\r\n" if inp.source.attr("line_ending") == "crlf" else "\n"
    dse = inp.result(DeadStepElimResult)
    removals = {r["line"]: ("dead-step-elim", r["reason"]) for r in (dse.removed if dse else ())}
    policy = prompt_policy.for_harness(inp.harness)
    edits, refused = compute_edits(inp.source, inp.module, source_lines, removals=removals,
                                   render_insert=policy.render_insert,
                                   suffix_of=policy.suffix_of)
    fm_lines = frontmatter_line_count(source_lines)
    fm_raw = _fields(inp.source)[1]
    fm_new = frontmatter_for(inp.harness, inp.module)
    if fm_lines and fm_new != fm_raw:
        edits.append(Edit("frontmatter", "prompt", 1,
                          "the harness reads single-line keys only (docs/harness-facts.md)",
                          text=fm_new))
    body = apply_edits(source_lines[fm_lines:], [_shift(e, fm_lines) for e in edits
                                                 if e.kind != "frontmatter"], newline)
    head = "".join(source_lines[:fm_lines])
    if fm_lines and fm_new != fm_raw:
        head = ("---" + newline + fm_new.replace("\n", newline)
                + ("" if fm_new.endswith("\n") else newline) + "---" + newline)
    text = head + body
    if inp.source.attr("bom"):
        text = "\ufeff" + text
    return text, edits, refused


def _shift(edit: Edit, lines: int) -> Edit:
    """An edit with its line numbers relative to the body (after the frontmatter)."""
    return attrs.evolve(edit, line=max(0, edit.line - lines),
                        last_line=max(0, edit.last_line - lines))
