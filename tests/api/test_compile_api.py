"""The library API: CompileOptions + compile(), pipelines as pass objects, the split."""

from __future__ import annotations

import attrs
import pytest
from conftest import REPO

CSV = str(REPO / "examples" / "csv-summary")
ALL_L3 = REPO / "tests" / "fixtures" / "backends" / "all-l3.json"


def test_compile_returns_files_and_diagnostics():
    from skvmc.compile import CompileOptions, compile

    result = compile(CSV, "qwen-7b+openhands", CompileOptions())
    assert "skill.skbc" in result.files and result.prompt_path in result.files
    assert all(d.severity in ("warning", "note") for d in result.diagnostics)


def test_options_are_frozen_and_hashable():
    from skvmc.compile import CompileOptions

    opts = CompileOptions(strict=True, overlay={"gen.text.structured": "L1"})
    assert hash(opts) == hash(CompileOptions(strict=True, overlay={"gen.text.structured": "L1"}))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        opts.strict = False


def test_strict_and_overlay_evolve_pass_objects():
    from skvmc.compile import CompileOptions, pipeline_text, target_passes

    passes = target_passes("qwen-7b+openhands",
                           CompileOptions(strict=True, overlay={"gen.text.structured": "L1"}))
    lower = next(p for p in passes if p.name == "lower-capabilities")
    assert lower.mode == "full" and dict(lower.overlay) == {"gen.text.structured": "L1"}
    # the spec text round-trips through the pipeline parser, overlay included
    from skvmc.diagnostics import DiagnosticEngine
    from skvmc.passmanager import parse_pipeline

    again = parse_pipeline(pipeline_text(passes), DiagnosticEngine())
    assert [p.spec() for p in again] == [p.spec() for p in passes]


def test_split_at_first_target_reading_pass():
    from skvmc.compile import CompileOptions, split_at_target, target_passes

    prefix, rest = split_at_target(target_passes("qwen-7b+openhands", CompileOptions()))
    assert [p.name for p in prefix] == ["canonicalize", "infer-capabilities"]
    assert rest[0].name == "bind-harness"


def test_targets_share_the_prepared_module_and_match_a_fresh_compile():
    from skvmc.compile import (
        CompileOptions,
        compile,
        parse,
        prepare,
        split_at_target,
        target_passes,
    )
    from skvmc.diagnostics import DiagnosticEngine

    opts = CompileOptions()
    diags = DiagnosticEngine()
    parsed = parse(CSV, diags)
    prefix, _ = split_at_target(target_passes("qwen-7b+openhands", opts))
    prepared = prepare(parsed, prefix, opts, diags)
    for spec in ("qwen-7b+openhands", "smollm2+claude-code"):
        shared = compile(prepared, spec, opts, diags=diags)
        fresh = compile(CSV, spec, opts)
        assert shared.module == fresh.module
        assert {k: v for k, v in shared.files.items() if k != "report.json"} == \
            {k: v for k, v in fresh.files.items() if k != "report.json"}


def test_compile_error_carries_located_diagnostics():
    from skvmc.compile import CompileOptions, compile
    from skvmc.diagnostics import CompileError

    with pytest.raises(CompileError) as info:
        compile(CSV, f"{ALL_L3}+openhands", CompileOptions(pipeline="canonicalise"))
    assert "<pipeline>:1:1: error: unknown pass 'canonicalise'" in str(info.value)


def test_bad_target_is_a_compile_error():
    from skvmc.compile import compile
    from skvmc.diagnostics import CompileError

    with pytest.raises(CompileError, match="unknown model"):
        compile(CSV, "no-such-model+openhands")


def test_bench_compiler_goes_through_compile(tmp_path):
    from skvmc.bench.runner import Compiler

    program, _ = Compiler(tmp_path, "smollm2+bare").program(REPO / "examples" / "csv-summary")
    assert program.meta["skill"]


def test_prefix_runs_once_per_skill_for_many_targets(monkeypatch, capsys):
    from skvmc.cli import main
    from skvmc.passes.infer_capabilities import InferCapabilities

    calls = []
    original = InferCapabilities.apply

    def counting(self, ctx, module):
        calls.append(module.attr("skill_dir"))
        return original(self, ctx, module)

    monkeypatch.setattr(InferCapabilities, "apply", counting)
    code = main([CSV, str(REPO / "examples" / "log-triage"), "--emit=env",
                 "--target=qwen-7b+openhands,smollm2+aider,qwen-7b+codex"])
    assert code == 0
    assert sorted(calls) == ["csv-summary", "log-triage"]


def test_reads_target_rule():
    from skvmc.passes.bind_env import BindEnv
    from skvmc.passes.bind_harness import BindHarness
    from skvmc.passes.canonicalize import Canonicalize
    from skvmc.passmanager import Pass, reads_target

    assert reads_target(BindHarness()) and not reads_target(Canonicalize())
    assert not reads_target(BindEnv())

    @attrs.frozen
    class Reads(Pass):
        name = "reads"
        target_dependent = True

    assert reads_target(Reads())


def test_pass_results_are_typed_records_and_the_report_shows_them():
    """Backends read pass results by type; report.json's "passes" is each record's fields."""
    import json

    import attrs

    from skvmc.compile import CompileOptions, compile
    from skvmc.passes.results import DeadStepElimResult, ExtractConcurrencyResult

    out = compile(CSV, "qwen-7b+openhands", CompileOptions())
    report = json.loads(out.files["report.json"])
    assert set(report["passes"]) >= {"infer-capabilities", "dead-step-elim", "bind-env"}
    for kind in (DeadStepElimResult, ExtractConcurrencyResult):
        fields = [f.name for f in attrs.fields(kind)]
        assert list(report["passes"][kind.pass_name]) == fields
    assert report["parallel"]["critical_path"] == report["passes"]["extract-concurrency"][
        "critical_path"]
