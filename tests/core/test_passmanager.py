"""The pass manager: pipeline strings, options, verification after each pass, dump flags."""

import io
from typing import ClassVar

import attrs
import pytest
from conftest import REPO, parse_fixture

from skvmc.diagnostics import CompileError, DiagnosticEngine
from skvmc.ir import Operation
from skvmc.passmanager import Instrumentation, Pass, PassContext, PassManager, parse_pipeline

SKILL = REPO / "examples" / "log-triage"


@attrs.frozen
class BreakIR(Pass):
    """A pass that produces invalid IR, to prove verification runs after each pass."""

    name: ClassVar[str] = "break-ir"

    def apply(self, ctx, module):
        return module.with_ops([Operation("skill.bogus"), *module.body])


@attrs.frozen
class Identity(Pass):
    name: ClassVar[str] = "identity"

    def apply(self, ctx, module):
        return module


def _run(passes, inst=None):
    inst = inst if inst is not None else Instrumentation()
    out = io.StringIO()
    module = parse_fixture(SKILL)
    ctx = PassContext(diags=DiagnosticEngine())
    result = PassManager(passes, inst, dump_stream=out).run(module, ctx)
    return module, result, out.getvalue(), ctx


def test_pipeline_with_options_and_spec_roundtrip():
    diags = DiagnosticEngine()
    passes = parse_pipeline("canonicalize , canonicalize{}", diags)
    assert [p.name for p in passes] == ["canonicalize", "canonicalize"]
    assert passes[0].spec() == "canonicalize"


@pytest.mark.parametrize("pipeline, message, col", [
    ("canonicalize,canonicalise", "did you mean 'canonicalize'", 14),
    ("canonicalize{nope=1}", "has no option 'nope'", 14),
    ("canonicalize{", "malformed pipeline", 13),
])
def test_pipeline_errors_are_located(pipeline, message, col):
    diags = DiagnosticEngine()
    with pytest.raises(CompileError):
        parse_pipeline(pipeline, diags)
    assert message in diags.diagnostics[0].message
    assert diags.diagnostics[0].loc.col == col


def test_verification_after_each_pass_catches_broken_ir():
    out = io.StringIO()
    ctx = PassContext(diags=DiagnosticEngine())
    with pytest.raises(CompileError):
        PassManager([BreakIR()], Instrumentation(print_after_failure=True), out).run(
            parse_fixture(SKILL), ctx)
    assert any("not declared" in d.message for d in ctx.diags.diagnostics)
    assert "// -----// IR Dump After Failed break-ir //----- //" in out.getvalue()
    assert '"skill.bogus"' in out.getvalue()


def test_verification_once_at_the_end_still_refuses_broken_ir():
    """verify_each=False (a compile's default) skips the verifications between passes, not
    the last one: a pass that breaks the IR fails the run, and the message says how to find
    which pass it was."""
    identity = Identity()
    ctx = PassContext(diags=DiagnosticEngine())
    with pytest.raises(CompileError):
        PassManager([BreakIR(), identity], Instrumentation(verify_each=False),
                    io.StringIO()).run(parse_fixture(SKILL), ctx)
    messages = [d.message for d in ctx.diags.diagnostics]
    assert any("not declared" in m for m in messages)
    assert ("verification failed after the pipeline (last pass 'identity'; --verify-each "
            "names the pass that broke it)") in messages
    # with verify_each, the same failure names the pass that broke the IR
    ctx = PassContext(diags=DiagnosticEngine())
    with pytest.raises(CompileError):
        PassManager([BreakIR(), identity], Instrumentation(), io.StringIO()).run(
            parse_fixture(SKILL), ctx)
    assert "verification failed after pass 'break-ir'" in [d.message for d in ctx.diags.diagnostics]


def test_print_ir_after_change_only_dumps_changes():
    canon = parse_pipeline("canonicalize", DiagnosticEngine())[0]
    _, _, dumps, _ = _run([Identity(), canon, Identity()],
                          Instrumentation(print_after_change=True))
    # log-triage has nothing to canonicalize, so no pass changed anything
    assert "IR Dump" not in dumps
    _, _, dumps, _ = _run([Identity(), Identity()], Instrumentation(print_after_all=True))
    assert dumps.count("// -----// IR Dump After identity //----- //") == 2


def test_print_before_and_after_named_pass():
    canon = parse_pipeline("canonicalize", DiagnosticEngine())[0]
    _, _, dumps, _ = _run([Identity(), canon], Instrumentation(
        print_before=frozenset({"canonicalize"}), print_after=frozenset({"identity"})))
    assert dumps.index("IR Dump After identity") < dumps.index("IR Dump Before canonicalize")


def test_time_passes_reports_every_pass():
    _, _, dumps, _ = _run([Identity(), Identity()], Instrumentation(time_passes=True))
    assert "Pass execution timing report" in dumps and dumps.count("identity") == 2


