"""What each pass found, as typed records: the contract between passes and backends.

A pass publishes one record (``ctx.publish(DeadStepElimResult(...))``); a backend reads it by
type (``inp.result(DeadStepElimResult)``), so a renamed field is an AttributeError at the
reader, not an empty report section. ``report.json``'s "passes" shows each record as a dict of
its fields in declaration order; fields declared with :func:`optional` are left out when None.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs


def optional():
    return attrs.field(default=None, metadata={"optional": True})


@attrs.frozen
class PassResult:
    pass_name: ClassVar[str] = ""

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in attrs.fields(type(self))
                if not (f.metadata.get("optional") and getattr(self, f.name) is None)}


@attrs.frozen
class InferCapabilitiesResult(PassResult):
    pass_name = "infer-capabilities"
    ops: int  # instruction-bearing ops that got facts
    requirements: int
    by_primitive: dict  # primitive -> how many ops require it
    actions: int
    reads: list
    writes: list


@attrs.frozen
class LowerCapabilitiesResult(PassResult):
    pass_name = "lower-capabilities"
    skipped: str | None = optional()  # why nothing was lowered (no model in the target)
    overlay: dict | None = optional()  # primitive -> level caps applied on the profile
    target: str | None = optional()
    mode: str | None = optional()
    requirements: int | None = optional()
    legal: int | None = optional()
    lowered: dict | None = optional()  # pattern -> times applied
    gaps: list | None = optional()  # "file:line: primitive Ln (has m)"


@attrs.frozen
class BindHarnessResult(PassResult):
    pass_name = "bind-harness"
    harness: str
    bindings: dict  # action -> tool name
    fallback: dict  # action -> what to do without a tool for it
    dropped: list
    foreign_tools: list  # other harnesses' tool names renamed to this one's


@attrs.frozen
class BindEnvResult(PassResult):
    pass_name = "bind-env"
    deps: list
    vars: list
    paths: dict  # bundle path -> bound path


@attrs.frozen
class ExtractConcurrencyResult(PassResult):
    pass_name = "extract-concurrency"
    critical_path: int
    sequential_steps: int
    regions: list
    new_regions: int


@attrs.frozen
class DeadStepElimResult(PassResult):
    pass_name = "dead-step-elim"
    removed: list  # {op, line, loc, reason, text, tokens}
    reported: list  # seen and kept, with the reason
    tokens_saved: int
    tokenizer: str
