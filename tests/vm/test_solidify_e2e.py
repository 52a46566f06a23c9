"""End-to-end on a real model: the VM binds a bundled script's placeholders from the task
with qwen2.5-coder-0.5b (one answer-only call under the binding's JSON schema), runs the
script itself, and the skill's loop sees the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skvmc.bytecode import decode
from skvmc.compile import CompileOptions, compile
from skvmc.models import ModelError, resolve
from skvmc.vm import SandboxHost, run_program

pytestmark = pytest.mark.e2e
SKILL = Path(__file__).parents[1] / "fixtures" / "solidify" / "csv-to-json"


def test_real_model_binds_and_the_vm_runs_the_script(tmp_path):
    model = resolve("qwen2.5-coder-0.5b", n_ctx=4096)
    try:
        assert model.path
    except ModelError as exc:
        pytest.skip(f"qwen2.5-coder-0.5b is not installed: {exc.message}")
    files = compile(str(SKILL), "qwen2.5-coder-0.5b+bare",
                    CompileOptions(backends=("prompt", "bytecode"))).files
    program = decode(files["skill.skbc"])
    wd = tmp_path / "wd"
    wd.mkdir()
    (wd / "people.csv").write_text("name,age\nAda,36\nAlan,41\n", encoding="utf-8")
    trace = tmp_path / "trace.jsonl"
    run_program(program, SandboxHost(wd, model, sandbox="process"),
                task="Convert `people.csv` to JSON and write it to `people.json`.",
                inputs={"skill_dir": str(SKILL)}, max_steps=3, max_tokens=256,
                trace_path=str(trace))
    recs = [json.loads(line) for line in trace.read_text().splitlines()]
    binding = next(r for r in recs if r.get("type") == "model")
    bound = binding["action"]["answer"]
    # the answer is the binding's schema: applies + both placeholders
    assert set(bound) >= {"applies", "INPUT", "OUTPUT"}
    execs = [r for r in recs if r.get("op") == "exec"]
    assert execs, "the model declined the command"
    assert execs[0]["argv"][2] == bound["INPUT"]  # the bound value reached the argv
    if bound["INPUT"] == "people.csv":  # bound right: the script itself converted the file
        assert execs[0]["exit_code"] == 0 and "wrote 2 rows" in execs[0]["result"]
    # the loop is told what already ran (or why it could not)
    later = [r for r in recs if r.get("type") == "model"][1:]
    assert later, "the skill's loop never ran"
