"""The codex and OpenHands runners of ``skvmc bench --harness`` without a model: the config
and command each gets, how its output is read, and (when the harness is installed) one
run of the real harness against a scripted stand-in for ``skvmc serve``."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
import tomllib
from pathlib import Path

import pytest

from skvmc.bench import harness_bench, harness_cli, runner
from skvmc.serve.engine import Turn
from skvmc.serve.server import make_server

ROOT = Path(__file__).resolve().parents[2]
TASK = ROOT / "bench" / "tasks" / "csv-sum-column"
EP = harness_cli.Endpoint("http://127.0.0.1:4321/v1", "qwen2.5-coder-0.5b", 8192, 700)


# ------------------------------------------------------------------------------ codex
def test_codex_config_points_at_the_server_over_the_responses_api(tmp_path):
    codex = harness_cli.get("codex")
    env = codex.configure(tmp_path, EP)
    assert env == {"CODEX_HOME": str(tmp_path / ".codex")}
    cfg = tomllib.loads((tmp_path / ".codex" / "config.toml").read_text())
    assert cfg["model"] == "qwen2.5-coder-0.5b" and cfg["model_provider"] == "skvmc"
    provider = cfg["model_providers"]["skvmc"]
    assert provider["base_url"] == EP.api_base and provider["wire_api"] == "responses"
    assert provider["request_max_retries"] == 0 and provider["stream_max_retries"] == 0
    assert cfg["model_context_window"] == 8192
    assert cfg["model_auto_compact_token_limit"] == 8192 - 700
    assert cfg["skills"]["bundled"]["enabled"] is False


def test_codex_home_is_not_in_a_temporary_directory():
    # codex will not put its sandbox helper under /tmp (every command then fails)
    root = harness_cli.get("codex").home_root()
    assert root.is_dir()
    assert not root.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
    assert harness_cli.get("pi").home_root() is None


def test_codex_command_runs_exec_non_interactively_in_the_sandbox():
    argv = harness_cli.get("codex").argv(EP, "-x: sum the column")
    assert argv[:2] == ["codex", "exec"]
    assert {"--json", "--skip-git-repo-check", "--strict-config"} <= set(argv)
    assert argv[argv.index("--sandbox") + 1] == "workspace-write"
    assert argv[argv.index("--model") + 1] == "qwen2.5-coder-0.5b"
    assert argv[-2:] == ["--", "-x: sum the column"]  # a prompt starting with - stays one


CODEX_STDOUT = "\n".join(json.dumps(e) for e in [
    {"type": "thread.started", "thread_id": "t1"},
    {"type": "item.completed", "item": {"id": "item_0", "type": "error",
                                        "message": "Model metadata for `m` not found."}},
    {"type": "turn.started"},
    {"type": "item.completed", "item": {"id": "item_1", "type": "command_execution",
                                        "command": "/bin/bash -lc 'cat x/SKILL.md'",
                                        "aggregated_output": "", "exit_code": 0,
                                        "status": "completed"}},
    {"type": "item.completed", "item": {"id": "item_2", "type": "agent_message",
                                        "text": "Done."}},
    {"type": "turn.completed", "usage": {"input_tokens": 220, "cached_input_tokens": 0,
                                         "output_tokens": 15}},
]) + "\n{\"type\": \"item.sta"  # a torn last line of a killed run

CODEX_SESSION = "\n".join(json.dumps(e) for e in [
    {"type": "session_meta", "payload": {"id": "t1"}},
    {"type": "response_item", "payload": {
        "type": "function_call", "name": "exec_command", "call_id": "call_1",
        "arguments": "{\"cmd\": \"cat .agents/skills/csv-report/SKILL.md\"}"}},
    {"type": "token_usage_record", "payload": {"usage": {"input_tokens": 100,
                                                         "output_tokens": 10}}},
    {"type": "response_item", "payload": {
        "type": "function_call_output", "call_id": "call_1",
        "output": "Chunk ID: a\nWall time: 0.1 seconds\nProcess exited with code 0\nOutput:\nx"}},
    {"type": "response_item", "payload": {
        "type": "function_call", "name": "csv-report", "call_id": "call_2", "arguments": "{}"}},
    {"type": "token_usage_record", "payload": {"usage": {"input_tokens": 110,
                                                         "output_tokens": 3}}},
    {"type": "response_item", "payload": {
        "type": "function_call_output", "call_id": "call_2",
        "output": "unsupported call: csv-report"}},
    {"type": "response_item", "payload": {
        "type": "function_call", "name": "exec_command", "call_id": "call_3",
        "arguments": "{\"cmd\": \"false\"}"}},
    {"type": "token_usage_record", "payload": {"usage": {"input_tokens": 120,
                                                         "output_tokens": 4}}},
    {"type": "response_item", "payload": {
        "type": "function_call_output", "call_id": "call_3",
        "output": "Chunk ID: b\nProcess exited with code 1\nOutput:\n"}},
])


def test_codex_transcript_reads_each_model_call_from_the_session_log():
    t = harness_cli.get("codex").parse(CODEX_STDOUT, CODEX_SESSION)
    assert t.model_calls == 3 and t.turns == ((100, 10), (110, 3), (120, 4))
    assert (t.prompt_tokens, t.completion_tokens) == (330, 17)
    assert [(c["tool"], c["error"]) for c in t.tool_calls] == [
        ("exec_command", False), ("csv-report", True), ("exec_command", True)]
    assert t.final_text == "Done." and t.error == ""  # the metadata warning is no error
    assert harness_cli.skill_loaded(t, "csv-report")
    assert harness_cli.skill_called_as_tool(t, "csv-report")


def test_codex_transcript_without_a_session_log_uses_the_event_stream():
    t = harness_cli.get("codex").parse(CODEX_STDOUT)
    assert t.turns == ((220, 15),)
    assert t.tool_calls == ({"tool": "exec_command", "args": "/bin/bash -lc 'cat x/SKILL.md'",
                             "error": False},)
    failed = json.dumps({"type": "turn.failed", "error": {"message": "stream disconnected"}})
    assert harness_cli.get("codex").parse(failed).error == "stream disconnected"


def test_codex_session_log_is_read_from_its_home(tmp_path):
    day = tmp_path / ".codex" / "sessions" / "2026" / "12" / "01"
    day.mkdir(parents=True)
    (day / "rollout-2026-12-01T00-00-00-t1.jsonl").write_text(CODEX_SESSION + "\n")
    assert harness_cli.get("codex").session(tmp_path) == CODEX_SESSION + "\n"
    assert harness_cli.get("codex").session(tmp_path / "none") == ""


# -------------------------------------------------------------------------- OpenHands
def test_openhands_runs_the_runner_script_with_its_own_python(monkeypatch, tmp_path):
    monkeypatch.setenv("SKVMC_OPENHANDS_PYTHON", "/opt/oh/bin/python")
    oh = harness_cli.get("openhands")
    argv = oh.argv(EP, "-sum it")
    assert argv[0] == "/opt/oh/bin/python" and Path(argv[1]).name == "openhands_runner.py"
    assert Path(argv[1]).is_file()
    assert argv[argv.index("--base-url") + 1] == EP.api_base
    assert argv[argv.index("--model") + 1] == "qwen2.5-coder-0.5b"
    assert argv[argv.index("--max-tokens") + 1] == "700"
    assert argv[-2:] == ["--", "-sum it"]
    assert oh.configure(tmp_path, EP)["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    assert "not found (install: python3.12 -m venv" in oh.missing()


def test_openhands_runner_arguments_parse_without_the_sdk():
    sys.path.insert(0, str(Path(harness_cli.__file__).parent))
    try:
        import openhands_runner
    finally:
        sys.path.pop(0)
    args = openhands_runner._args(["--base-url", "http://h/v1", "--model", "m", "--", "-x"])
    assert (args.base_url, args.model, args.instruction) == ("http://h/v1", "m", "-x")
    assert (args.max_tokens, args.n_ctx) == (1024, 16384)


def _oh_event(kind, **kw):
    return json.dumps({"type": "event", "kind": kind, **kw})


OH_STDOUT = "\n".join([
    json.dumps({"type": "skills", "skills": ["csv-report"]}),
    _oh_event("SystemPromptEvent", source="agent"),
    _oh_event("MessageEvent", source="user",
              llm_message={"role": "user", "content": [{"type": "text", "text": "Sum."}]}),
    json.dumps({"type": "usage", "usage_id": "agent", "prompt_tokens": 5000,
                "completion_tokens": 20}),
    _oh_event("ActionEvent", source="agent", tool_name="invoke_skill", tool_call_id="c1",
              tool_call={"name": "invoke_skill", "arguments": "{\"name\": \"csv-report\"}"}),
    _oh_event("ObservationEvent", source="environment", tool_name="invoke_skill",
              tool_call_id="c1", observation={"is_error": False}),
    json.dumps({"type": "usage", "usage_id": "agent", "prompt_tokens": 5400,
                "completion_tokens": 30}),
    _oh_event("ActionEvent", source="agent", tool_name="terminal", tool_call_id="c2",
              tool_call={"name": "terminal", "arguments": "{\"command\": \"false\"}"}),
    _oh_event("ObservationEvent", source="environment", tool_name="terminal",
              tool_call_id="c2", observation={"is_error": False, "exit_code": 1}),
    _oh_event("AgentErrorEvent", source="agent", tool_name="csv-report", tool_call_id="c3",
              error="Tool 'csv-report' not found."),
    _oh_event("MessageEvent", source="agent",
              llm_message={"role": "assistant", "content": [{"type": "text", "text": "12.50"}]}),
    json.dumps({"type": "summary", "status": "finished", "error": "", "model_calls": 2}),
])


def test_openhands_transcript_reads_usage_lines_and_events():
    t = harness_cli.get("openhands").parse(OH_STDOUT)
    assert t.model_calls == 2 and t.turns == ((5000, 20), (5400, 30))
    assert [(c["tool"], c["error"]) for c in t.tool_calls] == [
        ("invoke_skill", False), ("terminal", True), ("csv-report", True)]
    assert t.final_text == "12.50" and t.error == ""
    assert harness_cli.skill_loaded(t, "csv-report")  # invoke_skill names it
    assert harness_cli.skill_called_as_tool(t, "csv-report")
    crashed = json.dumps({"type": "summary", "status": "error", "error": "APIConnectionError"})
    assert harness_cli.get("openhands").parse(crashed).error == "APIConnectionError"


def test_original_skill_goes_where_codex_and_openhands_discover_it(tmp_path):
    task = runner.load_task(TASK)
    for name in ("codex", "openhands"):
        dest = tmp_path / name
        dest.mkdir()
        got = harness_bench.install_original(dest, task, harness_cli.get(name))
        assert got == [".agents/skills/csv-report"]
        assert (dest / ".agents/skills/csv-report/SKILL.md").is_file()


def test_compiled_layout_for_codex_and_openhands_uses_their_skill_path():
    skill = TASK / "environment" / "skills" / "csv-report"
    for name in ("codex", "openhands"):
        files, report = harness_bench.LayoutCache(f"qwen2.5-coder-0.5b+{name}").files(skill)
        assert ".agents/skills/csv-report/SKILL.md" in files
        assert not set(files) & harness_bench.ARTIFACTS
        assert report["binding"]["route"] == "skill-folder"  # no measurement of the pair


# ------------------------------------------------- the real harness, a scripted server
class ScriptedEngine:
    """Stands in for a model: answers each request with the next scripted step (a tool
    call or a text), and keeps what it was asked."""

    name = "scripted"

    def __init__(self, steps):
        self.steps, self.requests = list(steps), []
        self.loaded = type("Loaded", (), {"lock": threading.Lock()})()

    def stream(self, messages, tools=None, **kw):
        self.requests.append({"messages": messages, "tools": tools})
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if "call" in step:
            call = {"id": f"call_{len(self.requests)}", "type": "function",
                    "function": {"name": step["call"], "arguments": json.dumps(step["args"])}}
            yield Turn(text="", content=None, tool_calls=[call], finish_reason="tool_calls",
                       prompt_tokens=1000 + len(self.requests), completion_tokens=10)
        else:
            yield step["text"]
            yield Turn(text=step["text"], content=step["text"], tool_calls=[],
                       finish_reason="stop", prompt_tokens=1100, completion_tokens=3)

    def complete(self, messages, tools=None, **kw):
        return [t for t in self.stream(messages, tools, **kw) if isinstance(t, Turn)][-1]


@pytest.fixture
def scripted():
    servers = []

    def start(steps):
        engine = ScriptedEngine(steps)
        server = make_server(engine, 0)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True).start()
        servers.append(server)
        port = server.server_address[1]
        return engine, harness_cli.Endpoint(f"http://127.0.0.1:{port}/v1", "scripted",
                                            16384, 512)
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _run(name, endpoint, tmp_path, condition="original"):
    harness = harness_cli.get(name)
    task = runner.load_task(TASK)
    return harness_bench.run_unit(
        task, condition, 0, harness=harness, endpoint=endpoint,
        layouts=harness_bench.LayoutCache(f"qwen2.5-coder-0.5b+{name}"), out_dir=tmp_path,
        timeout_s=240)


SOLVE = ("python3 -c \"import csv; print('%.2f' % sum(float(r['amount']) for r in "
         "csv.DictReader(open('sales.csv'))))\" > total.txt")


def test_codex_runs_a_scripted_task_end_to_end(scripted, tmp_path):
    if shutil.which("codex") is None:
        pytest.skip("codex is not installed (npm install -g @openai/codex)")
    engine, ep = scripted([
        {"call": "exec_command", "args": {"cmd": "cat .agents/skills/csv-report/SKILL.md"}},
        {"call": "exec_command", "args": {"cmd": SOLVE}},
        {"text": "Wrote total.txt."}])
    rec = _run("codex", ep, tmp_path)
    assert rec["status"] == "pass" and rec["agent_status"] == "ok", rec
    assert rec["model_calls"] == 3 == len(engine.requests)
    assert rec["turns"] == [[1001, 10], [1002, 10], [1100, 3]]
    assert [c["tool"] for c in rec["tool_calls"]] == ["exec_command", "exec_command"]
    assert rec["skill_loaded"] is True and rec["final_text"] == "Wrote total.txt."
    assert (tmp_path / "transcripts" / "csv-sum-column--original--0.session.jsonl").is_file()
    first = engine.requests[0]
    system = "\n".join(m["content"] or "" for m in first["messages"] if m["role"] == "system")
    assert ".agents/skills" in system and "csv-report" in system  # listed by codex
    assert "imagegen" not in system  # codex's bundled skills are off
    assert "exec_command" in {t["function"]["name"] for t in first["tools"]}


def test_openhands_runs_a_scripted_task_end_to_end(scripted, tmp_path):
    missing = harness_cli.get("openhands").missing()
    if missing:
        pytest.skip(f"OpenHands is not installed: {missing}")
    engine, ep = scripted([
        {"call": "invoke_skill", "args": {"name": "csv-report"}},
        {"call": "terminal", "args": {"command": SOLVE}},
        {"call": "finish", "args": {"message": "Wrote total.txt."}}])
    rec = _run("openhands", ep, tmp_path)
    assert rec["status"] == "pass" and rec["agent_status"] == "ok", rec
    assert rec["model_calls"] == 3 == len(engine.requests)
    assert [c["tool"] for c in rec["tool_calls"]] == ["invoke_skill", "terminal", "finish"]
    assert rec["skill_loaded"] is True and rec["final_text"] == "Wrote total.txt."
    first = engine.requests[0]
    assert "<name>csv-report</name>" in first["messages"][0]["content"]
    assert {"terminal", "file_editor", "invoke_skill", "finish"} <= {
        t["function"]["name"] for t in first["tools"]}
