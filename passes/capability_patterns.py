"""Rewrite patterns for lower-capabilities (dialect conversion against a capability profile).

A pattern is data plus a function (``skvmc.rewrite.ConversionPattern``): ``legalizes`` names
the primitives it can take off an op, ``lowers_to`` the primitives (and at most which level) its
rewrite needs instead, ``creates`` the ops it may insert. The conversion driver
(``skvmc.rewrite.legalize``) calls ``rewrite(site, requirement)``; the result says what replaces
the op, what goes before and after it, and which requirements it adds. The driver checks the
result against the declaration (a mismatch is an internal error naming the pattern) and accepts
it only when every added requirement is legal on the target, so legality stays a table lookup.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from skvmc.dialects import cap, skill
from skvmc.ir import Operation, Value, freeze
from skvmc.passes.analysis import capability_rules as rules
from skvmc.passes.capability_translate import python_to_stdlib, shell_to_python
from skvmc.rewrite import Conversion, ConversionPattern


@attrs.frozen
class Site:
    """Where a pattern applies: the op, the op after it (an example fence), and helpers."""

    op: Operation
    next_op: Operation | None
    profile: object
    new_name: Callable[[], str]

    def has(self, primitive: str) -> int:
        try:
            level = self.profile.level(primitive)
        except KeyError:
            return 0
        return 0 if level is None else level


Lowering = Conversion  # what a capability pattern returns
CapPattern = ConversionPattern


def _prepend(op: Operation, new: Operation) -> Operation:
    return op.with_ops((new,) + op.body) if op.regions else op


# ---------------------------------------------------------------------------------------------
# (a) arithmetic -> generated Python


def delegate_arithmetic(site: Site, r: dict) -> Lowering | None:
    op = site.op
    if op.name not in ("skill.step", "skill.text", "skill.quote"):
        return None
    text = op.attr("text", "")
    delegate = cap.DELEGATE.build(
        primitive="reason.arithmetic", lang="python", loc=op.loc,
        instruction=("Do the arithmetic in a short Python script and use the numbers it prints; "
                     f"do not compute them in your head: {text}"))
    py_level = 1 if r["level"] <= 1 else 2
    added = (("gen.code.python", py_level, "arithmetic delegated to Python"),)
    if op.name == "skill.step":
        return Lowering(_prepend(op, delegate), added)
    return Lowering(op, added, before=(delegate,))


# ---------------------------------------------------------------------------------------------
# (b) shell pipeline -> Python


def shell_as_python(site: Site, r: dict) -> Lowering | None:
    op = site.op
    if op.name != "skill.code" or skill.fence_kind(op.attr("lang")) != skill.SHELL:
        return None
    body = shell_to_python(op.attr("body", ""))
    if body is None:
        return None
    new = op.with_attrs(lang="python", body=body, translated_from=op.attr("lang"))
    return Lowering(new, (("gen.code.python", 2, "shell pipeline rewritten as stdlib Python"),))


# ---------------------------------------------------------------------------------------------
# (c) long / branching procedure -> cap.split


def split_procedure(site: Site, r: dict) -> Lowering | None:
    op = site.op
    if op.name != "skill.step" or not op.attr("ordered"):
        return None
    reason = (f"{r['primitive']} L{r['level']} needed, target has L{site.has(r['primitive'])}: "
              "the VM sequences the steps one at a time")
    return Lowering(op, split=reason)


# ---------------------------------------------------------------------------------------------
# (d) structured output -> cap.validate with a schema


def schema_of(value) -> dict:
    """A JSON Schema that an example value satisfies (keys required, types from the example)."""
    if isinstance(value, dict):
        if not value:
            return {"type": "object"}
        return {"type": "object", "properties": {str(k): schema_of(v) for k, v in value.items()},
                "required": [str(k) for k in value]}
    if isinstance(value, list):
        return {"type": "array", "items": schema_of(value[0])} if value else {"type": "array"}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if value is None:
        return {"type": "null"}
    return {"type": "string"}


def _example(site: Site):
    candidates = list(site.op.body) + ([site.next_op] if site.next_op is not None else [])
    for c in candidates:
        lang = c.attr("lang", "").lower() if c.name == "skill.code" else ""
        if skill.fence_kind(lang) == skill.STRUCTURED:
            data = rules.parse_example("json" if lang == "json" else "yaml", c.attr("body", ""))
            if data is not None:
                return ("json" if lang == "json" else "yaml"), data
    return None, None


def validate_structured(site: Site, r: dict) -> Lowering | None:
    op = site.op
    if op.name not in ("skill.step", "skill.text", "skill.quote", "skill.code"):
        return None
    writes = list(op.attr("writes", ()))
    path = next((w for w in writes if w.endswith((".json", ".yaml", ".yml"))), None)
    fmt, example = _example(site)
    if path is not None:
        fmt = "json" if path.endswith(".json") else "yaml"
    if fmt is None:
        text = op.attr("text", "").lower()
        fmt = "yaml" if "yaml" in text or "yml" in text else "json"
    schema = schema_of(example) if example is not None else {"type": "object"}
    validate = cap.VALIDATE.build(path=path or "-", schema=freeze(schema), format=fmt, loc=op.loc)
    return Lowering(op, (("gen.text.structured", 1, "output checked against a schema"),),
                    after=(validate,))


# ---------------------------------------------------------------------------------------------
# (e) tool batch -> cap.serialize, one step per action

_VERBS = {"read": "Read", "write": "Write", "edit": "Edit", "fetch": "Fetch",
          "browser": "In the browser:"}
_ACTION_PRIMITIVE = {"read": "tool.file.read", "write": "tool.file.write",
                     "edit": "tool.file.write", "fetch": "tool.web", "browser": "tool.browser"}


def serialize_batch(site: Site, r: dict) -> Lowering | None:
    op = site.op
    if op.name != "skill.step":
        return None
    tools = [a for a in op.attr("actions", ()) if a["kind"] in _ACTION_PRIMITIVE]
    if len(tools) < 2:
        return None
    # one call per step, in the order the instruction names them
    text = op.attr("text", "")
    tools.sort(key=lambda a: text.find(a["target"]) if a["target"] in text else len(text))
    children = []
    for k, a in enumerate(tools, 1):
        primitive = _ACTION_PRIMITIVE[a["kind"]]
        facts = {"requires": [{"primitive": primitive, "level": 1,
                               "evidence": [f"one {a['kind']} of a serialized batch"],
                               "status": "legal"}],
                 "actions": [{"kind": a["kind"], "target": a["target"]}]}
        if a["kind"] in ("read", "edit"):
            facts["reads"] = [a["target"]]
        if a["kind"] in ("write", "edit"):
            facts["writes"] = [a["target"]]
        children.append(skill.STEP.build(
            results=(Value(site.new_name(), skill.VALUE),), loc=op.loc,
            text=f"{_VERBS[a['kind']]} `{a['target']}`.", ordered=True, marker=f"{k}.", number=k,
            **{key: freeze(v) for key, v in facts.items()}))
    batch = cap.SERIALIZE.build(
        regions=(tuple(children),), loc=op.loc,
        reason=f"{len(tools)} tool calls in one step; target rates tool.call.batch "
               f"L{site.has('tool.call.batch')}, needs L{r['level']}")
    added = tuple(sorted({(_ACTION_PRIMITIVE[a["kind"]], 1, "one call per step") for a in tools}))
    return Lowering(_prepend(op, batch), added)


# ---------------------------------------------------------------------------------------------
# (f) third-party Python -> standard library


def python_stdlib(site: Site, r: dict) -> Lowering | None:
    op = site.op
    if (op.name != "skill.code" or skill.fence_kind(op.attr("lang")) != skill.PYTHON
            or r["level"] < 3):
        return None
    got = python_to_stdlib(op.attr("body", ""))
    if got is None:
        return None
    body, note = got
    new = op.with_attrs(body=body, rewritten=note)
    return Lowering(new, (("gen.code.python", 2, f"rewritten with the standard library ({note})"),))


PATTERNS: tuple[CapPattern, ...] = (
    CapPattern("delegate-arithmetic", ("reason.arithmetic",), (("gen.code.python", 2),),
               delegate_arithmetic, "arithmetic done by a generated Python script",
               creates=("cap.delegate",)),
    CapPattern("shell-to-python", ("gen.code.shell",), (("gen.code.python", 2),),
               shell_as_python, "grep/awk/sort/uniq/... pipelines translated to Python"),
    CapPattern("stdlib-python", ("gen.code.python",), (("gen.code.python", 2),),
               python_stdlib, "pandas/requests/numpy idioms rewritten with the stdlib"),
    CapPattern("split-procedure", ("reason.planning", "follow.procedure"), (),
               split_procedure, "ordered run wrapped in cap.split, sequenced by the VM",
               creates=("cap.split",)),
    CapPattern("validate-structured", ("gen.text.structured", "follow.format"),
               (("gen.text.structured", 1),),
               validate_structured, "cap.validate with a schema after structured output",
               creates=("cap.validate",)),
    CapPattern("serialize-batch", ("tool.call.batch",),
               (("tool.file.read", 1), ("tool.file.write", 1), ("tool.web", 1),
                ("tool.browser", 1)),
               serialize_batch, "a tool batch made one call per step in cap.serialize",
               creates=("cap.serialize", "skill.step")),
)


def patterns_for(primitive: str) -> list[CapPattern]:
    return [p for p in PATTERNS if primitive in p.legalizes]
