"""The ``report`` backend: ``report.json``, what the compiler found and did for one target.

Keys: skill, target, mode, pipeline, requirements (per instruction op: location, primitive,
level, status), gaps, patterns (what lower-capabilities applied), removed (dead-step-elim),
edits (every change the harness-facing SKILL.md has against its source: kind, pass, source
line, reason), edits_refused (changes a pass asked for that were not made, and why), reported
(what analyses saw and left alone),
env (deps, variables), tools, tokens (original SKILL.md body vs the compiled one, same
tokenizer), parallel (regions, critical path, sequential steps), bytecode (size, the
granularity chosen and why, the bundled commands solidified and those refused), diagnostics,
passes (every pass's own record); with ``--report-timings`` also timings (seconds: frontend,
each pass, each backend), which is off by default so the file is deterministic.
"""

from __future__ import annotations

import itertools
import json

from skvmc.backends import BytecodeOutput, PromptOutput
from skvmc.bytesink import ByteSink
from skvmc.ir import thaw
from skvmc.legal import LegalOps
from skvmc.passes.results import (
    BindEnvResult,
    BindHarnessResult,
    DeadStepElimResult,
    ExtractConcurrencyResult,
    LowerCapabilitiesResult,
)
from skvmc.tokens import count_tokens, tokenizer_name


def body_of(markdown: str) -> str:
    """SKILL.md without its frontmatter."""
    text = markdown.lstrip("\ufeff").replace("\r\n", "\n")
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end >= 0:
            nl = text.find("\n", end + 4)
            return text[nl + 1:] if nl >= 0 else ""
    return text


def requirements(module) -> list[dict]:
    return list(_requirements(module))


def _requirements(module):
    for op in module.walk():
        for r in op.attr("requires", ()) or ():
            yield {"op": op.name, "line": op.loc.line, "primitive": r["primitive"],
                   "level": r["level"], "status": r.get("status", "legal")}


class Rows:
    """A JSON array made as it is encoded (``dumps_bytes``): a 1 MB skill has ~100,000
    requirement rows, ~40 MB as dicts held together, the encoder needs one at a time."""

    def __init__(self, make, *args):
        self.make, self.args = make, args

    def __iter__(self):
        return self.make(*self.args)


def _gap(out: list, op) -> None:
    out.append({"line": op.loc.line, "primitive": op.attr("primitive"),
                "needed": op.attr("needed"), "has": op.attr("has")})


# The report reads facts (``requires``) off any op; cap.gap ops are listed as gaps.
LEGAL = LegalOps("report", {"cap.gap": _gap}, skip=(
    "skill.frontmatter", "skill.section", "skill.text", "skill.step", "skill.code",
    "skill.table", "skill.quote", "skill.rule", "skill.html", "skill.ref", "cap.delegate",
    "cap.validate", "cap.split", "cap.serialize", "env.requires", "env.dep", "env.var",
    "env.path", "flow.parallel", "flow.branch", "flow.foreach", "flow.seq", "prompt.tools",
    "prompt.drop"))


def gaps(module) -> list[dict]:
    out: list[dict] = []
    for op in module.walk():
        if op is not module:
            LEGAL.dispatch(op, out)
    return out


def build(inp) -> dict:
    lower = inp.result(LowerCapabilitiesResult)
    conc = inp.result(ExtractConcurrencyResult)
    dse = inp.result(DeadStepElimResult)
    harness = inp.result(BindHarnessResult)
    env = inp.result(BindEnvResult)
    prompt = inp.output(PromptOutput)
    bytecode = inp.output(BytecodeOutput)
    return {
        "skill": inp.skill_name,
        "target": inp.target_spec,
        "model": inp.target.model.alias,
        "harness": inp.harness.name,
        "mode": inp.mode,
        "pipeline": inp.pipeline,
        "requirements": Rows(_requirements, inp.module),
        "gaps": gaps(inp.module),
        "patterns": (lower.lowered if lower else None) or {},
        "removed": dse.removed if dse else [],
        "edits": prompt.edits if prompt else [],
        "edits_refused": prompt.edits_refused if prompt else [],
        "reported": {
            "kept": dse.reported if dse else [],
            "foreign_tools": harness.foreign_tools if harness else [],
        },
        "env": {"deps": env.deps if env else [], "vars": env.vars if env else []},
        "tools": harness.bindings if harness else {},
        "binding": prompt.binding if prompt else None,
        "tokens": {"tokenizer": tokenizer_name(),
                   "before": count_tokens(body_of(inp.source_text)),
                   "after": count_tokens(body_of(prompt.skill_md if prompt else ""))},
        "parallel": {"regions": conc.regions if conc else [],
                     "critical_path": conc.critical_path if conc else None,
                     "sequential_steps": conc.sequential_steps if conc else None},
        "bytecode": {"bytes": bytecode.size if bytecode else None,
                     "instructions": bytecode.instructions if bytecode else None,
                     "granularity": bytecode.granularity if bytecode else None,
                     "retries": bytecode.retries if bytecode else None,
                     "solidified": bytecode.solidified if bytecode else [],
                     "solidify_refused": bytecode.solidify_refused if bytecode else []},
        "diagnostics": list(inp.diagnostics),
        "passes": thaw_all(inp.report),
        # Wall-clock times differ on every run: only on request (--report-timings), so that
        # two compiles of the same input give byte-identical report.json files by default.
        **({"timings": inp.timings} if inp.report_timings else {}),
    }


def thaw_all(value):
    """Pass records as JSON data: tuples and FrozenDicts thawed, keys as str. A list or dict
    that is JSON data already is returned as it is, not copied (a record listing 55,000
    removed steps is ~25 MB a copy; the report only reads it)."""
    if type(value) is dict:
        items = [(str(k), thaw_all(v)) for k, v in value.items()]
        if all(k is k2 and v is v2 for (k, v), (k2, v2) in zip(value.items(), items)):
            return value
        return dict(items)
    if type(value) is list:
        items = [thaw_all(v) for v in value]
        return value if all(a is b for a, b in zip(value, items)) else items
    if isinstance(value, dict):
        return {str(k): thaw_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw_all(v) for v in value]
    return thaw(value)


def emit(inp) -> dict[str, bytes]:
    LEGAL.check(inp.module, inp.diags)
    return {"report.json": dumps_bytes(build(inp))}


_END = object()  # an exhausted iterator
_ESCAPE = json.encoder.encode_basestring_ascii  # what json.dumps uses (ensure_ascii)


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def dumps_bytes(value, indent: int = 2) -> bytes:
    """``(json.dumps(value, indent=indent, default=str) + "\n").encode()``, the same text:
    the standard library encodes indented JSON with its pure-Python encoder, a generator per
    container and a chunk per token, which was most of this backend's time (a report per
    target). Pieces are joined into UTF-8 chunks as they pile up: held as str until the end,
    ~50 bytes each, a report listing 50,000 removed steps took 200 MB; the chunks go into one
    buffer (``ByteSink``), not a list joined at the end (two copies of the file at once)."""
    out: list[str] = []
    sink = ByteSink()

    def flush() -> None:
        sink.write("".join(out))
        out.clear()
    seen: set[int] = set()  # containers being encoded: a cycle is an error, as in json

    def scalar(v) -> str | None:
        if isinstance(v, str):
            return _ESCAPE(v)
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, int):
            return int.__repr__(v)
        if isinstance(v, float):
            return _float(v)
        return None

    def key_text(k) -> str:
        if isinstance(k, str):
            return _ESCAPE(k)
        if isinstance(k, float):
            return _ESCAPE(_float(k))
        if k is True or k is False or k is None:
            return _ESCAPE({True: "true", False: "false", None: "null"}[k])
        if isinstance(k, int):
            return _ESCAPE(int.__repr__(k))
        raise TypeError(f"keys must be str, int, float, bool or None, not {type(k).__name__}")

    fast = {str: _ESCAPE, int: int.__repr__, bool: lambda b: "true" if b else "false",
            type(None): lambda _: "null", float: _float}  # exact types: most of a report

    def encode(v, level: int) -> None:
        leaf = fast.get(type(v))
        text = leaf(v) if leaf is not None else scalar(v)
        if text is not None:
            out.append(text)
            return
        if isinstance(v, (list, tuple, Rows)):
            items = iter(v)
            first = next(items, _END)
            if first is _END:
                out.append("[]")
                return
            if id(v) in seen:
                raise ValueError("Circular reference detected")
            seen.add(id(v))
            pad = "\n" + " " * (indent * (level + 1))
            out.append("[")
            sep = pad
            for item in itertools.chain((first,), items):  # Rows are made as they are read
                leaf = fast.get(type(item))
                if leaf is not None:  # a leaf in one piece, without a call to encode
                    out.append(sep + leaf(item))
                else:
                    out.append(sep)
                    encode(item, level + 1)
                sep = "," + pad
                if len(out) > 8192:
                    flush()
            out.append("\n" + " " * (indent * level) + "]")
            seen.discard(id(v))
            return
        if isinstance(v, dict):
            if not v:
                out.append("{}")
                return
            if id(v) in seen:
                raise ValueError("Circular reference detected")
            seen.add(id(v))
            pad = "\n" + " " * (indent * (level + 1))
            out.append("{")
            sep = pad
            for k, item in v.items():
                key = _ESCAPE(k) if type(k) is str else key_text(k)
                leaf = fast.get(type(item))
                if leaf is not None:
                    out.append(sep + key + ": " + leaf(item))
                else:
                    out.append(sep + key + ": ")
                    encode(item, level + 1)
                sep = "," + pad
                if len(out) > 8192:
                    flush()
            out.append("\n" + " " * (indent * level) + "}")
            seen.discard(id(v))
            return
        encode(str(v), level)  # default=str

    encode(value, 0)
    out.append("\n")
    flush()
    return sink.getvalue()
