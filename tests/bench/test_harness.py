"""skvmc bench --harness without a model: argument checks, process-group timeouts, the
compiled layout a harness gets, and the binding route choice (skvmc.targets.binding)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from skvmc.bench import harness_bench, harness_cli
from skvmc.bench.cli import main
from skvmc.targets import binding, get_harness, get_model
from skvmc.targets.jsonload import shipped_measurements

ROOT = Path(__file__).resolve().parents[2]
TASKS = ROOT / "bench" / "tasks"
SKILL = TASKS / "csv-sum-column" / "environment" / "skills" / "csv-report"


def test_unknown_harness_is_a_usage_error(tmp_path, capsys):
    code = main(["--tasks", str(TASKS), "--harness", "nope", "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown harness 'nope'; choose from pi, opencode, codex, openhands" in err


def test_jit_condition_is_refused_for_a_harness(tmp_path, capsys):
    code = main(["--tasks", str(TASKS), "--harness", "pi", "--conditions", "compiled+jit",
                 "--out", str(tmp_path)])
    assert code == 2
    assert "not compiled+jit" in capsys.readouterr().err


def test_default_conditions_drop_the_vm_jit(tmp_path):
    class Args:
        harness, conditions = "pi", harness_bench.DEFAULT_CONDITIONS
        executor, concurrency, report_only = "local", 1, True
        target, model = "smollm2+bare", "qwen2.5-coder-1.5b"
    conds = Args.conditions.split(",")
    assert harness_bench.check_args(Args, conds) is None
    assert conds == ["no-skill", "original", "compiled"]
    assert Args.target == "qwen2.5-coder-1.5b+pi"  # compiled for the harness it runs in


def test_timeout_kills_the_whole_process_group(tmp_path):
    pidfile = tmp_path / "child.pid"
    script = f"sleep 60 & echo $! > {pidfile}; wait"
    t0 = time.monotonic()
    code, _, _, wall = harness_bench.run_process(["bash", "-c", script], tmp_path,
                                                 dict(os.environ), timeout_s=1.0)
    assert code is None and wall < 30 and time.monotonic() - t0 < 30
    child = int(pidfile.read_text())
    for _ in range(50):  # the grandchild dies with its group (it may linger as a zombie)
        try:
            state = Path(f"/proc/{child}/stat").read_text().split()[2]
        except FileNotFoundError:
            break
        if state == "Z":
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"child {child} of the timed-out harness is still running")


def test_compiled_layout_has_no_compiler_artifacts_and_appends_context(tmp_path):
    layouts = harness_bench.LayoutCache("qwen2.5-coder-1.5b+pi")
    files, report = layouts.files(SKILL)
    assert ".agents/skills/csv-report/SKILL.md" in files
    assert ".agents/skills/csv-report/scripts/csvsum.py" in files
    assert not set(files) & harness_bench.ARTIFACTS
    assert report["binding"]["route"] in binding.ROUTES
    (tmp_path / "AGENTS.md").write_text("# Project rules\n")
    extra = {"AGENTS.md": b"## Skill `x`\n"}
    harness_bench.install_compiled(tmp_path, extra)
    text = (tmp_path / "AGENTS.md").read_text()
    assert text.startswith("# Project rules\n") and text.endswith("## Skill `x`\n")


def _rec(**kw):
    return {"model": "qwen2.5-coder-1.5b", "harness": "pi", "source": "test", **kw}


@pytest.fixture
def pair():
    return get_model("qwen2.5-coder-1.5b"), get_harness("pi")


def test_no_measurement_keeps_the_harness_layout(pair):
    model, harness = pair
    b = binding.choose(model, harness, 300, rec=None)
    assert b.route == "skill-folder" and "unknown means don't" in b.reason


def test_low_load_rate_puts_the_skill_in_the_context_file(pair):
    model, harness = pair
    b = binding.choose(model, harness, 300, rec=_rec(skillLoading={"loaded": 1, "runs": 4}))
    assert b.route == "context-file" and "1 of 4 runs" in b.reason and "AGENTS.md" in b.reason
    big = binding.body_budget(model) + 1
    b = binding.choose(model, harness, big, rec=_rec(skillLoading={"loaded": 1, "runs": 4}))
    assert b.route == "context-pointer"
    b = binding.choose(model, harness, 300, rec=_rec(skillLoading={"loaded": 3, "runs": 4}))
    assert b.route == "skill-folder"
    b = binding.choose(model, harness, 300, rec=_rec(skillLoading={"loaded": 0, "runs": 2}))
    assert b.route == "skill-folder" and "too few" in b.reason


def test_measured_routes_pick_the_best_pass_rate(pair):
    model, harness = pair
    routes = {"skill-folder": {"passed": 1, "graded": 4},
              "context-file": {"passed": 3, "graded": 4}}
    b = binding.choose(model, harness, 300,
                       rec=_rec(skillLoading={"loaded": 4, "runs": 4}, routes=routes))
    assert b.route == "context-file" and "context-file 3/4" in b.reason
    tie = {"skill-folder": {"passed": 2, "graded": 4},
           "context-file": {"passed": 2, "graded": 4}}
    assert binding.choose(model, harness, 300, rec=_rec(routes=tie)).route == "skill-folder"


def test_a_harness_without_skill_discovery_keeps_its_format(pair):
    model, _ = pair
    b = binding.choose(model, get_harness("aider"), 300,
                       rec=_rec(skillLoading={"loaded": 0, "runs": 4}))
    assert b.route == "skill-folder" and "conventions-file" in b.reason


def test_load_call_names_the_harness_tool():
    path = ".x/skills/s/SKILL.md"
    assert binding.load_call(get_harness("pi"), path, "s") == f"read `{path}` with the `read` tool"
    assert "`skill` tool with name `s`" in binding.load_call(get_harness("opencode"), path, "s")
    assert "`exec_command` tool" in binding.load_call(get_harness("codex"), path, "s")
    assert "`invoke_skill` tool with name `s`" in binding.load_call(get_harness("openhands"),
                                                                     path, "s")


def test_shipped_measurements_drive_the_compiled_layout():
    """Every shipped measurement: the compile's route is the one choose() gives, and a
    context route writes the context file with the skill's body or its load call."""
    for (model_name, harness_name), rec in shipped_measurements("bindings", "binding").items():
        harness = get_harness(harness_name)
        files, report = harness_bench.LayoutCache(f"{model_name}+{harness_name}").files(SKILL)
        route = report["binding"]["route"]
        assert route == binding.choose(get_model(model_name), harness,
                                       report["tokens"]["after"], rec=rec).route
        if route == "skill-folder":
            assert harness.context_file not in files
        else:
            text = files[harness.context_file].decode()
            assert "## Skill `csv-report`" in text
            if route == "context-file":
                assert "csv.DictReader" in text and ".agents/skills/csv-report/" in text


def test_a_requested_route_overrides_the_measurement(pair):
    model, harness = pair
    rec = _rec(skillLoading={"loaded": 4, "runs": 4})
    b = binding.choose(model, harness, 300, rec=rec, requested="context-file")
    assert b.route == "context-file" and b.reason == "requested (--binding-route=context-file)"
    # a harness without a context file cannot take a context route, whatever is asked
    no_context = get_harness("hermes")
    assert no_context.context_file is None
    b = binding.choose(model, no_context, 300, rec=rec, requested="context-pointer")
    assert b.route == "skill-folder" and "no always-read context file" in b.reason


def test_the_context_file_body_names_bundle_files_from_the_workdir():
    files, report = harness_bench.LayoutCache("qwen2.5-coder-1.5b+pi", "context-file").files(SKILL)
    assert report["binding"]["route"] == "context-file"
    text = files["AGENTS.md"].decode()
    # the harness runs commands in the workdir, where AGENTS.md is, not in the skill folder
    assert "`python3 .agents/skills/csv-report/scripts/csvsum.py FILE COLUMN`" in text
    assert "The commands below name its files from the working directory" in text
    # the skill's own SKILL.md is read from its folder: its paths stay as written
    assert b"`python3 scripts/csvsum.py FILE COLUMN`" in files[
        ".agents/skills/csv-report/SKILL.md"]
    files, _ = harness_bench.LayoutCache("qwen2.5-coder-1.5b+pi", "skill-folder").files(SKILL)
    assert "AGENTS.md" not in files


def test_binding_route_flag_reaches_the_compile(tmp_path):
    from skvmc.cli import main as skvmc_main

    out = tmp_path / "out"
    code = skvmc_main([str(SKILL), "--target=qwen2.5-coder-1.5b+pi",
                       "--binding-route=context-pointer", "-o", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["binding"]["route"] == "context-pointer"
    assert "load its instructions: read `.agents/skills/csv-report/SKILL.md`" in (
        out / "AGENTS.md").read_text()


def test_skill_loaded_reads_tool_calls():
    t = harness_cli.Transcript(tool_calls=(
        {"tool": "read", "args": json.dumps({"path": ".agents/skills/csv-report/SKILL.md"}),
         "error": False},))
    assert harness_cli.skill_loaded(t, "csv-report")
    assert not harness_cli.skill_loaded(t, "log-triage")
    called_as_tool = harness_cli.Transcript(tool_calls=(
        {"tool": "csv-report", "args": "{}", "error": True},))
    assert not harness_cli.skill_loaded(called_as_tool, "csv-report")
    assert harness_cli.skill_called_as_tool(called_as_tool, "csv-report")
    assert not harness_cli.skill_called_as_tool(t, "csv-report")


def test_pi_transcripts_are_kept_without_streaming_updates():
    pi = harness_cli.get("pi")
    end = {"type": "message_end", "message": {
        "role": "assistant", "usage": {"input": 10, "output": 2},
        "content": [{"type": "toolCall", "id": "c1", "name": "bash",
                     "arguments": {"command": "ls"}}]}}
    stream = "".join(json.dumps(e) + "\n" for e in (
        {"type": "agent_start"},
        {"type": "message_update", "message": {"content": [{"type": "text", "text": "l"}]}},
        {"type": "message_update", "message": {"content": [{"type": "text", "text": "ls"}]}},
        end, {"type": "tool_execution_end", "toolCallId": "c1", "isError": False}))
    kept = pi.kept(stream)
    assert '"message_update"' not in kept and kept.count("\n") == 3
    assert pi.parse(kept) == pi.parse(stream)
    # other harnesses keep their stream as it is
    assert harness_cli.get("opencode").kept(stream) == stream
