"""lower-capabilities: snapshots, each pattern, the legality table, gaps, no-op, determinism."""

import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from skvmc.diagnostics import CompileError, DiagnosticEngine
from skvmc.irparse import parse_module
from skvmc.passes.capability_patterns import PATTERNS, schema_of
from skvmc.passes.capability_translate import python_to_stdlib, shell_to_python
from skvmc.passes.lower_capabilities import lower_module
from skvmc.passmanager import PassContext, PassManager, parse_pipeline
from skvmc.printer import print_module
from skvmc.verifier import verify
from tests.conftest import corpus_params, ops_named, parse_corpus, parse_fixture, run_passes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "passes" / "caps"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "SKILL.md").exists())
QWEN = "qwen-7b+openhands"


@attrs.frozen
class FakeProfile:
    """The two methods lowering uses; unknown primitives are None (counted as L0)."""

    levels: dict

    def level(self, primitive):
        return self.levels.get(primitive)

    def allows(self, primitive, level):
        return (self.levels.get(primitive) or 0) >= level


def all_l3():
    from skvmc.targets import primitive_ids

    return FakeProfile({p: 3 for p in primitive_ids()})


def weak():
    """Strong at code and tools, weak where the patterns apply: every pattern fires."""
    levels = dict(all_l3().levels)
    levels.update({"reason.arithmetic": 1, "gen.code.shell": 1, "gen.code.python": 2,
                   "reason.planning": 1, "follow.procedure": 1, "gen.text.structured": 1,
                   "follow.format": 1, "tool.call.batch": 0, "tool.web": 1, "gen.regex": 2,
                   "gen.code.javascript": 1, "tool.browser": None})
    return FakeProfile(levels)


def infer(path):
    ctx = PassContext(diags=DiagnosticEngine())
    return PassManager(parse_pipeline("infer-capabilities", ctx.diags)).run(
        parse_fixture(path), ctx)


def lower(module, profile, mode="partial"):
    ctx = PassContext(diags=DiagnosticEngine())
    out = lower_module(module, profile, ctx, "fake+profile", mode)
    assert verify(out) == []
    assert parse_module(print_module(out)) == out
    return out, ctx


run_pipeline = run_passes


def statuses(module):
    return {(r["primitive"], r["status"], r.get("by")) for op in module.walk()
            for r in op.attr("requires", ())}


# -- snapshots ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_fixture_snapshot_weak_profile(case, snapshot_skir):
    out, _ = lower(infer(FIXTURES / case), weak())
    assert print_module(out) == snapshot_skir


@pytest.mark.parametrize("case", CASES)
def test_fixture_snapshot_qwen(case, snapshot_skir):
    out, ctx = run_pipeline(parse_fixture(FIXTURES / case),
                            f"infer-capabilities,lower-capabilities{{target={QWEN}}}")
    assert ctx.report["lower-capabilities"]["target"] == QWEN
    assert print_module(out) == snapshot_skir


@pytest.mark.parametrize("skill", corpus_params())
def test_corpus_snapshot_qwen(skill, snapshot_skir):
    out, ctx = run_pipeline(parse_corpus(skill),
                            f"infer-capabilities,lower-capabilities{{target={QWEN}}}")
    report = ctx.report["lower-capabilities"]
    assert report["requirements"] == report["legal"] + sum(report["lowered"].values()) + len(
        report["gaps"])
    assert print_module(out) == snapshot_skir


# -- legality and no-op -------------------------------------------------------------------------


def test_noop_on_all_l3_profile():
    for case in CASES:
        before = infer(FIXTURES / case)
        after, ctx = lower(before, all_l3())
        assert not ctx.diags.diagnostics
        assert [op.name for op in after.walk()] == [op.name for op in before.walk()]
        assert {s for _, s, _ in statuses(after)} == {"legal"}
        # apart from the status annotation nothing changed
        strip = [tuple(tuple(sorted((k, v) for k, v in r.items() if k != "status"))
                       for r in op.attr("requires", ())) for op in after.walk()]
        orig = [tuple(tuple(sorted(r.items())) for r in op.attr("requires", ()))
                for op in before.walk()]
        assert strip == orig
        report = ctx.report["lower-capabilities"]
        assert report["legal"] == report["requirements"] and report["gaps"] == []


def test_legality_table():
    p = FakeProfile({"reason.arithmetic": 2, "tool.web": None})
    assert p.allows("reason.arithmetic", 2) and not p.allows("reason.arithmetic", 3)
    assert not p.allows("tool.web", 1)  # unknown counts as L0
    from skvmc.targets import effective_profile, parse_target

    qwen = effective_profile(parse_target(QWEN))
    assert qwen.level("tool.web") is None and not qwen.allows("tool.web", 1)


def test_legal_requirement_is_marked_legal_and_idempotent():
    once, _ = lower(infer(FIXTURES / "arithmetic"), weak())
    twice, ctx = lower(once, weak())
    assert twice == once
    assert not ctx.diags.diagnostics


def test_patterns_declare_legality_as_data():
    names = [p.name for p in PATTERNS]
    assert names == ["delegate-arithmetic", "shell-to-python", "stdlib-python", "split-procedure",
                     "validate-structured", "serialize-batch"]
    for p in PATTERNS:
        assert p.legalizes and all(isinstance(lvl, int) for _, lvl in p.lowers_to)


# -- each pattern -------------------------------------------------------------------------------


def test_delegate_needs_python():
    profile = FakeProfile({**weak().levels, "gen.code.python": 0})
    out, ctx = lower(infer(FIXTURES / "arithmetic"), profile)
    assert not ops_named(out, "cap.delegate")
    gaps = ops_named(out, "cap.gap")
    assert {(g.attr("primitive"), g.attr("needed"), g.attr("has")) for g in gaps} >= {
        ("reason.arithmetic", 3, 1), ("reason.arithmetic", 2, 1)}
    assert "delegate-arithmetic would need gen.code.python L2 (target has L0)" in \
        ctx.diags.render_all()


def test_shell_to_python_pattern():
    out, ctx = lower(infer(FIXTURES / "shell-pipeline"), weak())
    codes = [op for op in out.walk() if op.name == "skill.code"]
    assert [c.attr("lang") for c in codes] == ["python", "python", "bash", "bash"]
    assert codes[0].attr("translated_from") == "bash"
    assert codes[1].attr("translated_from") == "sh"
    # the sed/xargs block cannot be translated: a gap located at its fence
    gaps = ops_named(out, "cap.gap")
    assert [(g.attr("primitive"), g.attr("needed"), g.attr("has")) for g in gaps] == [
        ("gen.code.shell", 3, 1)]
    warning = next(d for d in ctx.diags.diagnostics if d.severity == "warning")
    assert warning.loc.line == 22
    assert "shell-to-python does not apply" in warning.message


def test_shell_translation_runs_like_the_shell(tmp_path):
    logs = {"a.log": "t1 ERROR db x\nt2 INFO db y\nt3 ERROR api z\nt4 ERROR db q\n",
            "b.log": "t5 ERROR web x\nt6 ERROR db y\nt7 error db\n"}
    for name, text in logs.items():
        (tmp_path / name).write_text(text)
    pipelines = [
        "grep -h \" ERROR \" *.log | awk '{print $3}' | sort | uniq -c | sort -rn",
        "cat a.log b.log | cut -d ' ' -f 2 | sort -u",
        "grep -hi error a.log b.log | wc -l",
        "grep -hv INFO *.log | awk '{print $1}' | sort -r | head -3",
        "cat b.log | awk '{print $3}' | uniq | tail -n 2",
    ]
    for line in pipelines:
        src = shell_to_python(line)
        assert src is not None, line
        got = subprocess.run([sys.executable, "-c", src], cwd=tmp_path, capture_output=True,
                             text=True, check=True).stdout
        want = subprocess.run(line, shell=True, check=False, cwd=tmp_path, capture_output=True,
                              text=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"}).stdout
        assert got == want, line


def test_shell_translation_refuses_what_it_does_not_know():
    assert shell_to_python("sed -i 's/a/b/' x") is None
    assert shell_to_python("grep x f | xargs rm") is None
    assert shell_to_python("awk -F, '{s+=$2} END {print s}' f.csv") is None
    assert shell_to_python("cat a\ncat b") is None
    assert shell_to_python("cat $(ls) | sort") is None
    assert shell_to_python("grep x a.log b.log | sort") is None  # would prefix file names


def test_stdlib_python_pattern():
    out, ctx = lower(infer(FIXTURES / "third-party-python"), weak())
    codes = [op for op in out.walk() if op.name == "skill.code"]
    assert [bool(c.attr("rewritten")) for c in codes] == [True, True, True, False, False, False]
    assert "import pandas" not in codes[0].attr("body")
    assert "csv.DictReader" in codes[0].attr("body")
    assert "urllib.request" in codes[1].attr("body")
    assert "statistics.mean(values)" in codes[2].attr("body")
    gaps = ops_named(out, "cap.gap")
    assert [(g.attr("primitive"), g.attr("needed"), g.attr("has")) for g in gaps] == [
        ("gen.code.python", 3, 2)]  # sklearn has no stdlib rewrite
    assert "stdlib-python does not apply" in ctx.diags.render_all()


def test_stdlib_rewrites_run(tmp_path):
    (tmp_path / "data.csv").write_text("category,amount\na,1.5\nb,2\na,3.25\n")
    body, note = python_to_stdlib(
        "import pandas as pd\ndf = pd.read_csv('data.csv')\n"
        "totals = df.groupby('category')['amount'].sum()\n"
        "for k, v in sorted(totals.items()):\n    print(k, round(v, 2))\n")
    assert "pandas" in note
    got = subprocess.run([sys.executable, "-c", body], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout
    assert got == "a 4.75\nb 2.0\n"
    body, _ = python_to_stdlib(
        "import numpy as np\nprint(np.mean([1, 2, 3]), np.median([3, 1, 2]))\n")
    assert subprocess.run([sys.executable, "-c", body], capture_output=True, text=True,
                          check=True).stdout == "2 2\n"
    # uses beyond the known idioms are refused
    assert python_to_stdlib(
        "import pandas as pd\ndf = pd.read_csv('x')\nprint(df.describe())\n") is None
    assert python_to_stdlib("import requests\nrequests.post('u')\n") is None
    assert python_to_stdlib("import json\n") is None


def test_validate_structured():
    out, _ = lower(infer(FIXTURES / "structured-output"), weak())
    # weak() rates structured output and formats L1: only the nested example needs a validate
    assert [v.attr("path") for v in ops_named(out, "cap.validate")] == ["inventory.json"]
    out, _ = lower(infer(FIXTURES / "structured-output"),
                   FakeProfile({**weak().levels, "follow.format": 0}))
    validates = ops_named(out, "cap.validate")
    assert [(v.attr("path"), v.attr("format")) for v in validates] == [
        ("inventory.json", "json"), ("summary.yaml", "yaml"), ("-", "json")]
    schema = validates[0].attr("schema")
    assert schema["required"] == ("host", "services", "owner")
    assert schema["properties"]["services"]["items"]["properties"]["port"] == {"type": "integer"}
    assert schema["properties"]["owner"]["properties"]["oncall"] == {"type": "null"}
    assert validates[1].attr("schema") == {"type": "object"}  # no example: minimal schema
    # one validate per op even when both structured and format requirements were lowered
    step = next(op for op in out.walk() if op.attr("text", "").startswith("Write `inventory"))
    by = {r["primitive"]: r.get("by") for r in step.attr("requires")}
    assert by["gen.text.structured"] == by["follow.format"] == "validate-structured"


def test_schema_of():
    assert schema_of({"a": [1.5], "b": True}) == {
        "type": "object", "properties": {"a": {"type": "array", "items": {"type": "number"}},
                                         "b": {"type": "boolean"}}, "required": ["a", "b"]}
    assert schema_of([]) == {"type": "array"}


def test_serialize_needs_single_calls_legal():
    profile = FakeProfile({**weak().levels, "tool.file.read": 0})
    out, ctx = lower(infer(FIXTURES / "tool-batch"), profile)
    assert len(ops_named(out, "cap.serialize")) == 1  # only the write+fetch batch
    assert "serialize-batch would need tool.file.read L1" in ctx.diags.render_all()


# -- gaps: partial vs full ----------------------------------------------------------------------


def test_gap_partial_is_a_located_warning():
    out, ctx = lower(infer(FIXTURES / "mixed-evidence"), weak())
    text = ctx.diags.render_all()
    assert not ctx.diags.has_errors
    assert ("SKILL.md:8:1: warning: step needs gen.regex"
            " L3 but target 'fake+profile' has L2; no pattern legalizes it") in text
    assert "has an unknown level (counted as L0)" in text  # tool.browser is unrated
    assert "note: evidence: regex with lookaround / named groups -> gen.regex L3" in text
    gap = ops_named(out, "cap.gap")[0]
    assert (gap.attr("primitive"), gap.attr("needed"), gap.attr("has")) == ("gen.regex", 3, 2)
    assert (gap.loc.line, gap.loc.col) == (8, 1)
    unknown = next(g for g in ops_named(out, "cap.gap") if g.attr("primitive") == "tool.browser")
    assert "has" not in unknown.attributes
    gaps = ctx.report["lower-capabilities"]["gaps"]
    assert any(g.endswith("SKILL.md:8: gen.regex L3 (has 2)") for g in gaps)


def test_gap_full_mode_fails_the_pass():
    module = parse_fixture(FIXTURES / "mixed-evidence")
    ctx = PassContext(diags=DiagnosticEngine())
    pipeline = parse_pipeline(f"infer-capabilities,lower-capabilities{{target={QWEN} mode=full}}",
                              ctx.diags)
    with pytest.raises(CompileError):
        PassManager(pipeline).run(module, ctx)
    errors = [d for d in ctx.diags.diagnostics if d.severity == "error"]
    assert errors and all(d.code == "capability-gap" for d in errors)
    assert f"but target '{QWEN}' has" in errors[0].message
    assert errors[0].loc is not None and errors[0].loc.line > 0


def test_full_mode_passes_when_everything_is_legal():
    _out, ctx = lower(infer(FIXTURES / "structured-output"), all_l3(), mode="full")
    assert not ctx.diags.has_errors


def test_bad_target_and_missing_target():
    ctx = PassContext(diags=DiagnosticEngine())
    with pytest.raises(CompileError):
        PassManager(parse_pipeline("lower-capabilities{target=nosuch+openhands}", ctx.diags)).run(
            parse_fixture(FIXTURES / "arithmetic"), ctx)
    assert ctx.diags.has_errors
    ctx = PassContext(diags=DiagnosticEngine())
    with pytest.raises(CompileError):
        PassManager(parse_pipeline("lower-capabilities", ctx.diags)).run(
            parse_fixture(FIXTURES / "arithmetic"), ctx)
    assert "needs target=MODEL+HARNESS" in ctx.diags.render_all()


def test_target_without_model_is_skipped_with_a_warning():
    module = infer(FIXTURES / "arithmetic")
    ctx = PassContext(diags=DiagnosticEngine())
    out = PassManager(parse_pipeline("lower-capabilities{target=bare}", ctx.diags)).run(module, ctx)
    assert out == module
    assert "names no model" in ctx.diags.render_all() and not ctx.diags.has_errors


def test_bad_mode_is_a_pipeline_error():
    with pytest.raises(CompileError):
        parse_pipeline("lower-capabilities{target=qwen-7b+openhands mode=half}", DiagnosticEngine())


def test_deterministic():
    a, ctx_a = lower(infer(FIXTURES / "tool-batch"), weak())
    b, ctx_b = lower(infer(FIXTURES / "tool-batch"), weak())
    assert a == b and print_module(a) == print_module(b)
    assert ctx_a.report == ctx_b.report
    messages = [[d.message for d in c.diags.diagnostics] for c in (ctx_a, ctx_b)]
    assert messages[0] == messages[1]


def test_report_shape():
    _, ctx = lower(infer(FIXTURES / "third-party-python"), weak())
    report = ctx.report["lower-capabilities"]
    assert set(report) == {"target", "mode", "requirements", "legal", "lowered", "gaps"}
    assert report["lowered"] == {"stdlib-python": 3}
    assert report["requirements"] == report["legal"] + 3 + len(report["gaps"])


class _Catalog:
    """A target catalog built in memory: the pass asks the context, not skvmc.targets."""

    def __init__(self, profile):
        self._profile, self.asked = profile, []

    def primitive_ids(self):
        from skvmc.targets import primitive_ids

        return primitive_ids()

    def profile(self, spec, overlay=None, diags=None):
        self.asked.append(spec)
        return self._profile


def test_the_profile_comes_from_the_pass_context():
    module = infer(FIXTURES / CASES[0])
    ctx = PassContext(diags=DiagnosticEngine(), target_catalog=_Catalog(all_l3()))
    out = PassManager(parse_pipeline("lower-capabilities{target=made+up}", ctx.diags)).run(
        module, ctx)
    assert ctx.target_catalog.asked == ["made+up"]
    assert ctx.report["lower-capabilities"]["lowered"] == {}  # all-L3: everything is legal
    statuses = {r["status"] for op in out.walk() for r in op.attr("requires", ())}
    assert statuses == {"legal"}
