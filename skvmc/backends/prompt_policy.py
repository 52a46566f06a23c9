"""Which compiler decisions may change the harness-facing SKILL.md, and how they read.

A decision reaches the prompt only when the analysis behind it has been measured against the
hand labels in ``tests/golden`` and reaches the precision floor there (0.95); the test
``tests/golden/test_precision.py`` fails when an entry below is enabled while its analysis is
under the floor. Everything else stays in the IR, the bytecode and report.json, and the text is
left alone.

| decision | analysis (golden file) | in the prompt |
|---|---|---|
| exact duplicate in one list / paragraph run | none needed (string equality) | removed |
| tool note on a step | tool actions (tool_actions.jsonl) | ``(use `tool`)`` suffix |
| parallel lead-in | step dependencies (dependencies.jsonl) | a lead-in line |
| lowering (split, validate, delegate) | requirements (requirements.jsonl) | lead-in / check text |
"""

from __future__ import annotations

import json

import attrs

from skvmc.ir import Operation, thaw

# decision -> the golden-set analysis whose precision gates it (None: exact by construction)
GATES: dict[str, str | None] = {
    "remove-duplicate": None,
    "tool-note": "tool-actions",
    "parallel-hint": "dependencies",
    "lowering": "requirements",
}

# What is enabled. An entry is True only while its gate's measured precision is >= 0.95.
ENABLED: dict[str, bool] = {
    "remove-duplicate": True,
    "tool-note": False,
    "parallel-hint": False,
    "lowering": False,
}


@attrs.frozen
class PromptPolicy:
    enabled: dict

    def render_insert(self, op: Operation):
        """(pass, reason, lead-in lines) for an op a pass added, or None (not shown)."""
        if op.name == "flow.parallel" and self.enabled.get("parallel-hint"):
            if op.attr("evidence") in ("stated", "disjoint"):
                return ("extract-concurrency", f"parallel region ({op.attr('evidence')})",
                        ["These steps are independent; they can be done in parallel:", ""])
            return None
        if not self.enabled.get("lowering"):
            return None
        if op.name == "cap.split":
            return ("lower-capabilities", "split: the target holds one step at a time",
                    ["Do the following one step at a time, finishing each before the next:", ""])
        if op.name == "cap.validate":
            schema = json.dumps(thaw(op.attr("schema")), indent=2, sort_keys=True)
            return ("lower-capabilities", "structured output the target cannot keep valid",
                    [f"Then check that `{op.attr('path')}` is valid "
                     f"{op.attr('format').upper()} that matches this schema, and fix it if "
                     "it does not:", "", "```json", *schema.split("\n"), "```"])
        return None

    def suffix_of(self, op: Operation):
        """(pass, reason, text) appended to a kept source step, or None."""
        if not self.enabled.get("tool-note"):
            return None
        tools = op.attr("tools")
        if not tools:
            return None
        names = sorted({str(v) for v in tools.values() if v})
        if not names:
            return None
        return ("bind-harness", "tool note from the step's verb and object",
                "(use " + ", ".join(f"`{n}`" for n in names) + ")")


def for_harness(harness, enabled: dict | None = None) -> PromptPolicy:
    """The policy for one harness. Today every harness gets the same measured set; the
    harness is the parameter because harness binding (issue "Real harnesses") will choose
    per harness, by measurement."""
    return PromptPolicy(dict(ENABLED if enabled is None else enabled))
