"""The sandbox: paths stay in the workdir, parameters stay literal, secrets stay out."""

from __future__ import annotations

import json
import os
import sys

import pytest
from vm_helpers import ScriptedModel, run_asm

from skvmc.vm import SandboxError, SandboxHost
from skvmc.vm.sandbox import child_env

HOSTILE = [
    "; rm -rf /",
    "$(touch pwned)",
    "`touch pwned`",
    "a\nb; touch pwned",
    "it's \"quoted\" && touch pwned",
    "| touch pwned",
    "--help",
]


@pytest.mark.parametrize("path", ["../x", "a/../../x", "/etc/passwd", "~/x", ""])
def test_paths_outside_are_refused(tmp_path, path):
    host = SandboxHost(tmp_path)
    with pytest.raises(SandboxError):
        host.resolve(path)


def test_symlink_out_of_workdir_is_refused(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (work / "link").symlink_to(outside)
    (work / "dirlink").symlink_to(tmp_path)
    host = SandboxHost(work)
    with pytest.raises(SandboxError, match="escapes"):
        host.read_file("link")
    with pytest.raises(SandboxError, match="escapes"):
        host.write_file("dirlink/new.txt", "x")
    assert not (tmp_path / "new.txt").exists()
    assert outside.read_text() == "secret"


def test_symlink_inside_workdir_is_fine(tmp_path):
    (tmp_path / "real.txt").write_text("ok")
    (tmp_path / "alias").symlink_to(tmp_path / "real.txt")
    assert SandboxHost(tmp_path).read_file("alias") == "ok"


@pytest.mark.parametrize("path", ["../x", "/etc/passwd"])
def test_read_instruction_reports_escape_as_step_failure(tmp_path, path):
    r = run_asm(f'.loc "SKILL.md" 3\nread {json.dumps(path)}, $o\nhalt 0\n', tmp_path)
    assert r.exit_code == 1
    assert r.error.startswith("SKILL.md:3: step failed:")
    assert "refused" in r.error


def test_model_escape_attempts_are_reported_to_the_model(tmp_path):
    model = ScriptedModel([json.dumps({"action": "read", "path": "/etc/passwd"}),
                           json.dumps({"action": "write", "path": "../evil", "content": "x"}),
                           json.dumps({"action": "answer", "answer": "gave up"})])
    r = run_asm('ask "x", $o, none, 7, 5, 0\nhalt 0\n', tmp_path, model)
    assert r.exit_code == 0
    assert model.calls[1]["messages"][-1]["content"].startswith("error: absolute path refused")
    assert "'..' refused" in model.calls[2]["messages"][-1]["content"]
    assert not (tmp_path.parent / "evil").exists()


@pytest.mark.parametrize("param", HOSTILE)
def test_hostile_parameters_stay_literal_argv(tmp_path, param):
    probe = "import sys, json; print(json.dumps(sys.argv[1:]))"
    r = run_asm(f"""
        const $p, {json.dumps(param)}
        exec [{json.dumps(sys.executable)}, "-c", {json.dumps(probe)}, $p, "x"], $out
        halt 0
    """, tmp_path)
    assert r.exit_code == 0
    assert json.loads(r.outputs["out"]) == [param, "x"]
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("param", HOSTILE)
def test_hostile_task_text_through_model_exec(tmp_path, param):
    probe = "import sys, json; print(json.dumps(sys.argv[1:]))"
    model = ScriptedModel([json.dumps({"action": "exec",
                                       "argv": [sys.executable, "-c", probe, param]}),
                           json.dumps({"action": "answer", "answer": "ok"})])
    r = run_asm('ask $task, $o, none, 1, 3, 0\nhalt 0\n', tmp_path, model, task=param)
    assert r.exit_code == 0
    observation = model.calls[1]["messages"][-1]["content"]
    assert json.dumps([param]) in observation
    assert model.calls[0]["messages"][1]["content"] == param
    assert not (tmp_path / "pwned").exists()


def test_model_shell_string_is_never_given_to_a_shell(tmp_path):
    # a command line in one string is split into words (the same as an argv list); shell
    # syntax in it is refused, never performed: no redirection, no second command
    model = ScriptedModel([json.dumps({"action": "exec", "argv": "echo hi > pwned; touch x"}),
                           json.dumps({"action": "answer", "answer": "ok"})])
    r = run_asm('ask "x", $o, none, 1, 3, 0\nhalt 0\n', tmp_path, model)
    assert r.exit_code == 0
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "x").exists()
    assert "without a shell" in model.calls[1]["messages"][-1]["content"]


def test_environment_is_allow_listed(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "OPENAI_API_KEY": "sk-1", "GH_TOKEN": "t",
           "DB_PASSWORD": "p", "MY_SECRET": "s", "ALLOWED_TOKEN": "keep", "LANG": "C"}
    assert set(child_env(env)) == {"PATH", "LANG", "HOME"}
    host = SandboxHost(tmp_path, env_allow=("ALLOWED_TOKEN",), base_env=env)
    r = host.run([sys.executable, "-c", "import os, json; print(json.dumps(sorted(os.environ)))"])
    seen = set(json.loads(r.stdout))
    assert "ALLOWED_TOKEN" in seen and "PATH" in seen
    assert not seen & {"OPENAI_API_KEY", "GH_TOKEN", "DB_PASSWORD", "MY_SECRET"}


def test_child_runs_in_workdir_with_output_cap(tmp_path):
    host = SandboxHost(tmp_path, output_cap=100)
    r = host.run([sys.executable, "-c", "import os; print(os.getcwd()); print('x' * 1000)"])
    assert r.stdout.startswith(str(tmp_path.resolve()))
    assert len(r.stdout) == 100 and r.truncated


def test_missing_program_is_exit_127(tmp_path):
    r = SandboxHost(tmp_path).run(["definitely-not-a-program-xyz"])
    assert r.exit_code == 127
