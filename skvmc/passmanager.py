"""Passes, pipelines and the pass manager.

A pass is a frozen attrs class: its fields are its options, ``name`` names it in pipelines, and
``apply(ctx, module) -> module`` is a pure function of the module (what it found for reports
goes to ``ctx.publish`` as a typed record, ``skvmc.passes.results``). The manager verifies
after every pass (switchable) and implements the MLIR dump flags: --print-ir-before/after=P,
--print-ir-after-all, --print-ir-after-change, --print-ir-after-failure and --time-passes.
"""

from __future__ import annotations

import difflib
import importlib
import json
import sys
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
from lark.exceptions import UnexpectedInput

from skvmc import grammar
from skvmc.diagnostics import CompileError, DiagnosticEngine
from skvmc.ir import Location, Operation
from skvmc.printer import print_module
from skvmc.verifier import verify


@attrs.frozen
class Pass:
    """Base class. Subclasses set ``name`` and ``summary`` and declare options as fields,
    with ``metadata={"help": ..., "choices": (...)}`` for the listing and option checks."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""

    def apply(self, ctx: PassContext, module: Operation) -> Operation:  # pragma: no cover
        raise NotImplementedError

    def spec(self) -> str:
        """The pipeline text that recreates this pass with its options."""
        opts = []
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if value != field.default:
                opts.append(f"{field.name.replace('_', '-')}={_format_option(value)}")
        return self.name + ("{" + " ".join(opts) + "}" if opts else "")


def option(default, help: str, choices: tuple | None = None):
    """A pass option: an attrs field with the help text (and choices) the listing and the
    pipeline parser show and check."""
    metadata = {"help": help, **({"choices": choices} if choices else {})}
    return attrs.field(default=default, metadata=metadata)


# Options that name the target: a pass with one of them reads the target (see reads_target).
TARGET_OPTIONS = ("target", "harness")


def reads_target(p: Pass) -> bool:
    """Does ``p`` depend on the compile target? True when the pass class says so
    (``target_dependent = True``) or has an option naming the target (``TARGET_OPTIONS``).
    Everything before the first such pass is the same for every target, so the driver runs
    that prefix once per skill."""
    flag = getattr(type(p), "target_dependent", None)
    if flag is not None:
        return bool(flag)
    return any(f.name in TARGET_OPTIONS for f in attrs.fields(type(p)))


def _format_option(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):  # a dict option (e.g. an overlay) prints as inline JSON
        return json.dumps(json.dumps(dict(value), sort_keys=True))
    text = str(value)
    return text if text and all(c not in text for c in ' ,{}="') else json.dumps(text)


@attrs.define
class PassContext:
    """What passes share besides the module: diagnostics, the compile report, and the target
    catalog (descriptors and profiles: a pass asks ``ctx.targets``, never ``skvmc.targets``)."""

    diags: DiagnosticEngine = attrs.field(factory=DiagnosticEngine)
    results: dict[str, Any] = attrs.field(factory=dict)  # pass name -> its PassResult record
    options: dict[str, Any] = attrs.field(factory=dict)  # driver-wide settings (e.g. explain)
    target_catalog: Any = None  # None: the shipped one (skvmc.targets.catalog.CATALOG)

    def publish(self, record) -> None:
        """A pass's typed result (a ``skvmc.passes.results.PassResult``); a later run of the
        same pass replaces it."""
        self.results[record.pass_name] = record

    def result(self, kind):
        """The record of type ``kind``, or None when that pass did not run."""
        found = self.results.get(kind.pass_name)
        return found if isinstance(found, kind) else None

    @property
    def report(self) -> dict[str, dict]:
        """Every record as a dict (report.json's "passes"), in the order the passes ran."""
        return {name: r.to_json() for name, r in self.results.items()}

    @property
    def targets(self):
        if self.target_catalog is None:  # looked up late: most pipelines never ask
            from skvmc.targets.catalog import CATALOG

            self.target_catalog = CATALOG
        return self.target_catalog


# ---------------------------------------------------------------------------------------------
# Registry (lazy: modules are imported when a pass is first asked for)


def _registry() -> dict[str, str]:
    from skvmc.passes import REGISTRY

    return REGISTRY


def pass_class(name: str, loc: Location | None = None, diags: DiagnosticEngine | None = None):
    target = _registry().get(name)
    if target is None:
        if diags is not None:
            hint = difflib.get_close_matches(name, list(_registry()), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            diags.error(f"unknown pass '{name}'{extra}", loc, code="pipeline")
        return None
    module_name, _, cls_name = target.partition(":")
    return getattr(importlib.import_module(module_name), cls_name)


def available_passes() -> list[type[Pass]]:
    out = []
    for name in _registry():
        try:
            out.append(pass_class(name))
        except ImportError:  # a pass whose module is not there yet is simply not listed
            continue
    return out


# ---------------------------------------------------------------------------------------------
# Pipeline strings


def _convert_option(field: attrs.Attribute, text: str):
    kind = field.type if isinstance(field.type, type) else {
        "str": str, "int": int, "bool": bool, "float": float}.get(str(field.type), str)
    if kind is bool:
        if text.lower() in ("true", "1", "yes", "on"):
            return True
        if text.lower() in ("false", "0", "no", "off"):
            return False
        raise ValueError("expected true or false")
    value = kind(text)
    choices = field.metadata.get("choices")
    if choices and value not in choices:
        raise ValueError(f"expected one of {', '.join(choices)}")
    return value


def parse_pipeline(text: str, diags: DiagnosticEngine, file: str = "<pipeline>") -> list[Pass]:
    """Build pass instances from ``a,b{k=v},c``; problems are located diagnostics."""
    diags.sources.add(file, file, text)
    try:
        tree = grammar.load("pipeline").parse(text)
    except UnexpectedInput as err:
        diags.error("malformed pipeline", Location(file, err.line, err.column), code="pipeline")
        raise CompileError("bad pipeline") from None
    passes: list[Pass] = []
    for spec in tree.children:
        if spec is None:
            continue
        name_tok = spec.children[0]
        loc = Location(file, name_tok.line, name_tok.column)
        cls = pass_class(name_tok.value, loc, diags)
        if cls is None:
            continue
        fields = {f.name.replace("_", "-"): f for f in attrs.fields(cls)}
        kwargs = {}
        options = spec.children[1] if len(spec.children) > 1 else None
        for option in (options.children if options is not None else []):
            if option is None:
                continue
            key_tok, value_tree = option.children
            raw = value_tree.children[0]
            value_text = json.loads(raw.value) if raw.type == "STRING" else raw.value
            field = fields.get(key_tok.value)
            key_loc = Location(file, key_tok.line, key_tok.column)
            if field is None:
                hint = difflib.get_close_matches(key_tok.value, list(fields), n=1)
                known = ", ".join(fields) or "none"
                extra = f"did you mean '{hint[0]}'? " if hint else ""
                diags.error(f"pass '{cls.name}' has no option '{key_tok.value}'; {extra}"
                            f"(options: {known})", key_loc, code="pipeline")
                continue
            try:
                kwargs[field.name] = _convert_option(field, value_text)
            except ValueError as err:
                diags.error(f"option '{key_tok.value}' of '{cls.name}': {err}", key_loc,
                            code="pipeline")
        try:
            passes.append(cls(**kwargs))
        except (TypeError, ValueError) as err:
            diags.error(f"pass '{cls.name}': {err}", loc, code="pipeline")
    if diags.has_errors:
        raise CompileError("bad pipeline")
    return passes


# ---------------------------------------------------------------------------------------------
# Running


@attrs.frozen
class Instrumentation:
    print_before: frozenset = frozenset()
    print_after: frozenset = frozenset()
    print_after_all: bool = False
    print_after_change: bool = False
    print_after_failure: bool = False
    print_before_all: bool = False
    time_passes: bool = False
    debuginfo: bool = False
    # True: verify after every pass (pass development: the failure names the pass that broke
    # the IR). False: verify once, after the last pass; a broken module is still never
    # returned, and a compile skips five walks of the ops each pass rebuilt.
    verify_each: bool = True


def _dump(when: str, p: Pass, module: Operation, inst: Instrumentation, out) -> None:
    print(f"// -----// IR Dump {when} {p.name} //----- //", file=out)
    out.write(print_module(module, inst.debuginfo))


class PassManager:
    def __init__(self, passes: list[Pass], instrumentation: Instrumentation | None = None,
                 dump_stream=None):
        self.passes = passes
        self.inst = instrumentation or Instrumentation()
        self.out = dump_stream if dump_stream is not None else sys.stderr
        self.timings: list[tuple[str, float]] = []

    def run(self, module: Operation, ctx: PassContext) -> Operation:
        """Run every pass in order. Raises CompileError after reporting a failure."""
        inst = self.inst
        clean = None  # the last module verified without a problem (immutable: stays so)
        last = len(self.passes) - 1
        for index, p in enumerate(self.passes):
            if inst.print_before_all or p.name in inst.print_before:
                _dump("Before", p, module, inst, self.out)
            start = time.perf_counter()
            errors_before = ctx.diags.count("error")
            try:
                result = p.apply(ctx, module)
            except CompileError:
                result = None
            elapsed = time.perf_counter() - start
            self.timings.append((p.name, elapsed))
            failed = result is None or ctx.diags.count("error") > errors_before
            if (not failed and (inst.verify_each or index == last)
                    and result is not clean):
                problems = verify(result)
                if problems:
                    ctx.diags.extend(problems)
                    where = (f"pass '{p.name}'" if inst.verify_each or index == 0 else
                             f"the pipeline (last pass '{p.name}'; --verify-each names the "
                             "pass that broke it)")
                    ctx.diags.error(f"verification failed after {where}", None, code="verify")
                    failed = True
                else:
                    clean = result
            if failed:
                if inst.print_after_failure:
                    _dump("After Failed", p, result if result is not None else module, inst,
                          self.out)
                self._report_time()
                raise CompileError(f"pass {p.name} failed")
            if (inst.print_after_all or p.name in inst.print_after
                    or (inst.print_after_change and result != module)):
                _dump("After", p, result, inst, self.out)
            module = result
        self._report_time()
        return module

    def _report_time(self) -> None:
        if not self.inst.time_passes or not self.timings:
            return
        total = sum(t for _, t in self.timings) or 1e-12
        print("===" + "-" * 70 + "===", file=self.out)
        print("  ... Pass execution timing report ...", file=self.out)
        print("===" + "-" * 70 + "===", file=self.out)
        print(f"  Total Execution Time: {total:.4f} seconds", file=self.out)
        print("   ----Wall Time----  ----Name----", file=self.out)
        for name, t in self.timings:
            print(f"   {t:.4f} ({100 * t / total:5.1f}%)  {name}", file=self.out)
        print(f"   {total:.4f} (100.0%)  Total", file=self.out)
