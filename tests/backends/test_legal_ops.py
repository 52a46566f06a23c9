"""Backends accept a declared set of ops: an op outside it is a compile error naming the op and
the backend, never silently left out of the output."""

import attrs
import pytest
from backend_helpers import compiled, options_for, parsed
from conftest import FIXTURES

from skvmc.diagnostics import CompileError, DiagnosticEngine
from skvmc.ir import Location, Operation
from skvmc.legal import LegalOps
from skvmc.opdef import get_dialect

SKILL = str(FIXTURES / "skills" / "all-constructs")
TARGET = "qwen-7b+openhands"
BACKENDS = ("bytecode", "dag", "env", "report")


def _legal(name):
    import importlib

    return importlib.import_module(f"skvmc.backends.{name}").LEGAL


def _declared_ops():
    out = set()
    for d in ("skill", "cap", "env", "flow", "prompt"):
        out |= set(get_dialect(d).ops)
    return out


@pytest.mark.parametrize("name", BACKENDS)
def test_each_backend_decides_about_every_declared_op(name):
    # A dialect that gains an op makes this fail until each backend says what it does with it.
    assert _legal(name).ops == _declared_ops()


def _with_new_op(module):
    new = Operation("flow.retry", loc=Location("SKILL.md", 7, 1))
    return module.with_ops((*module.body, new))


@pytest.mark.parametrize("name", BACKENDS)
def test_an_unknown_op_is_an_error_naming_op_and_backend(name):
    import importlib

    base = compiled(SKILL, TARGET)
    diags = DiagnosticEngine()
    from skvmc.backends import BackendInput

    inp = BackendInput(module=_with_new_op(base.module), source=base.skill.module,
                       target=base.target, target_spec=TARGET, skill_dir=SKILL,
                       source_text=base.skill.text, diags=diags)
    emit = importlib.import_module(f"skvmc.backends.{name}").emit
    with pytest.raises(CompileError, match=f"'flow.retry' op is not legal for the {name} backend"):
        emit(inp)
    [d] = diags.diagnostics
    assert (d.severity, d.message, str(d.loc), d.code) == (
        "error", f"'flow.retry' op is not legal for the {name} backend", "SKILL.md:7:1",
        "backend-illegal-op")


def test_compile_reports_the_illegal_op_and_exits_nonzero(monkeypatch):
    import attrs as _attrs

    from skvmc.compile import compile
    from skvmc.passmanager import PassManager

    run = PassManager.run
    def run_then_add(self, m, ctx):  # after the last pass, as a new pass would
        out = run(self, m, ctx)
        last = any(p.name == "extract-concurrency" for p in self.passes)
        return _with_new_op(out) if last else out

    monkeypatch.setattr(PassManager, "run", run_then_add)
    diags = DiagnosticEngine()
    with pytest.raises(CompileError):
        compile(parsed(SKILL), TARGET, _attrs.evolve(options_for(), backends=("env", "bytecode")),
                diags=diags)
    assert [d.message for d in diags.diagnostics if d.severity == "error"] == [
        "'flow.retry' op is not legal for the env backend"]


def test_dispatch_calls_the_handler_or_nothing_and_rejects_the_rest():
    seen = []
    legal = LegalOps("demo", {"skill.text": lambda out, op: out.append(op.name)},
                     skip=("skill.rule",))
    text, rule = Operation("skill.text"), Operation("skill.rule")
    legal.dispatch(text, seen)
    legal.dispatch(rule, seen)
    assert seen == ["skill.text"] and "skill.rule" in legal
    with pytest.raises(CompileError, match="'skill.html' op is not legal for the demo backend"):
        legal.dispatch(attrs.evolve(text, name="skill.html"), seen)
