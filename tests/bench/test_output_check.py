"""The pi extension that asks once more for outputs not written (skvmc.backends.output_check):
its output detection against the VM's, and the follow-up inside a real pi run (a scripted
model behind skvmc's own server)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from skvmc.backends import output_check
from skvmc.bench import harness_bench, harness_cli
from skvmc.serve.engine import Turn
from skvmc.serve.server import make_server
from skvmc.targets import get_harness
from skvmc.vm.task_outputs import task_outputs

TASKS = Path(__file__).resolve().parents[2] / "bench" / "tasks"
CASES = [
    "Count the lines in `app.log` whose level is `ERROR` and write the count to\n"
    "`error_count.txt` as a single integer.",
    "Read `a.csv` and `b.csv`, then save the merged rows as merged.csv.",
    "Which jobs in `/app/crontab` run? Write them to `/app/jobs.txt`.",
    "Create out/summary.json and report.md from `logs/access.log`.",
    "- sum the column\n- write it to total.txt\n\nThen check `notes.md`.",
    "Nothing to write here: look at data.csv.",
]


def _node_outputs(tmp_path, tasks: list[str]) -> list[list[str]]:
    module = tmp_path / "check.mjs"  # plain JavaScript inside: node imports it as a module
    module.write_text(output_check.extension_text(), encoding="utf-8")
    script = ("const m = await import(process.argv[1]); const tasks = JSON.parse("
              "require('fs').readFileSync(0, 'utf8')); console.log(JSON.stringify("
              "tasks.map(t => m.taskOutputs(t))));")
    out = subprocess.run(["node", "--input-type=commonjs", "-e",
                          f"(async () => {{ {script} }})()", str(module)],
                         input=json.dumps(tasks), capture_output=True, text=True, timeout=60,
                         check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_extension_finds_the_outputs_the_vm_finds(tmp_path):
    tasks = CASES + [p.read_text(encoding="utf-8")
                     for p in sorted(TASKS.glob("*/instruction.md"))]
    assert len(tasks) > 30
    assert _node_outputs(tmp_path, tasks) == [task_outputs(t) for t in tasks]


def test_only_a_context_route_in_pi_gets_the_extension_when_asked():
    skill = TASKS / "csv-sum-column" / "environment" / "skills" / "csv-report"
    files, report = harness_bench.LayoutCache("qwen2.5-coder-1.5b+pi", "context-file").files(skill)
    assert not any(p.startswith(".pi/") for p in files)  # off by default (not measured to help)
    files, report = harness_bench.LayoutCache("qwen2.5-coder-1.5b+pi", "context-file",
                                              output_check=True).files(skill)
    assert report["binding"]["output_check"] == ".pi/extensions/skvmc-outputs.ts"
    assert files[".pi/extensions/skvmc-outputs.ts"] == output_check.extension_text().encode()
    files, report = harness_bench.LayoutCache("qwen2.5-coder-1.5b+pi", "skill-folder",
                                              output_check=True).files(skill)
    assert not any(p.startswith(".pi/") for p in files) and "output_check" not in report["binding"]
    assert output_check.files_for(get_harness("opencode")) == {}  # no extension point known


NEEDS_PI = pytest.mark.skipif(
    shutil.which("pi") is None,
    reason="pi is not installed (npm install -g @mariozechner/pi-coding-agent)")


class ScriptedEngine:
    """skvmc serve's engine interface with replies from a list: {"content": text} or
    {"tool": name, "arguments": {...}}; the requests are kept."""

    name, n_ctx = "scripted", 8192

    def __init__(self, replies):
        self.replies, self.requests = list(replies), []

    def stream(self, messages, tools=None, **kw):
        self.requests.append(messages)
        reply = self.replies.pop(0) if self.replies else {"content": "Done."}
        calls = []
        if "tool" in reply:
            calls = [{"id": f"call_{len(self.requests)}", "type": "function",
                      "function": {"name": reply["tool"],
                                   "arguments": json.dumps(reply["arguments"])}}]
        else:
            yield reply["content"]
        yield Turn(text="", content=reply.get("content"), tool_calls=calls,
                   finish_reason="tool_calls" if calls else "stop", prompt_tokens=10,
                   completion_tokens=2)

    def complete(self, messages, tools=None, **kw):
        return [x for x in self.stream(messages, tools, **kw) if isinstance(x, Turn)][-1]


def _run_pi(tmp_path, replies, files: dict[str, bytes], task: str):
    engine = ScriptedEngine(replies)
    server = make_server(engine)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        work, home = tmp_path / "work", tmp_path / "home"
        work.mkdir()
        home.mkdir()
        (work / "app.log").write_text("2024 ERROR a\n2024 INFO b\n", encoding="utf-8")
        harness_bench.install_compiled(work, files)
        pi = harness_cli.get("pi")
        endpoint = harness_cli.Endpoint(f"http://127.0.0.1:{server.server_address[1]}/v1",
                                        "scripted", n_ctx=8192, max_tokens=512)
        env = harness_bench.base_env(home) | pi.configure(home, endpoint)
        code, out, err, _ = harness_bench.run_process(pi.argv(endpoint, task), work, env, 120)
    finally:
        server.shutdown()
        server.server_close()
    return engine, work, code, err


@NEEDS_PI
def test_pi_asks_once_more_for_an_output_the_model_did_not_write(tmp_path):
    task = "Count the ERROR lines of `app.log` and write the count to `error_count.txt`."
    replies = [{"tool": "bash", "arguments": {"command": "grep -c ERROR app.log"}},
               {"content": "The count is 1."},  # ends without writing: the extension asks
               {"tool": "write", "arguments": {"path": "error_count.txt", "content": "1"}},
               {"content": "Done."}]
    engine, work, code, err = _run_pi(tmp_path, replies, output_check.files_for(
        get_harness("pi")), task)
    assert code == 0, err[-2000:]
    assert (work / "error_count.txt").read_text() == "1"
    asked = [m for m in engine.requests[2] if m["role"] == "user"]
    assert "The task asks for error_count.txt, which was not written." in json.dumps(asked)
    assert len(engine.requests) == 4


@NEEDS_PI
def test_pi_asks_only_once(tmp_path):
    task = "Count the ERROR lines of `app.log` and write the count to `error_count.txt`."
    replies = [{"content": "It is 1."}, {"content": "Still 1."}, {"content": "1"}]
    engine, work, code, err = _run_pi(tmp_path, replies, output_check.files_for(
        get_harness("pi")), task)
    assert code == 0, err[-2000:]
    assert not (work / "error_count.txt").exists()
    assert len(engine.requests) == 2  # the first answer, and the one follow-up
