"""Every instruction on a real sandbox host with a scripted model."""

from __future__ import annotations

import json
import sys

from vm_helpers import FailingModel, ScriptedModel, run_asm

PY = json.dumps(sys.executable)


def test_const_concat_write_read_halt(tmp_path):
    r = run_asm("""
        const $name, "world"
        concat $greeting, ["hello ", $name, " ", 3]
        write "out/greet.txt", $greeting
        read "out/greet.txt", $back
        halt 0
        const $never, "x"
    """, tmp_path)
    assert r.status == "ok" and r.exit_code == 0
    assert (tmp_path / "out" / "greet.txt").read_text() == "hello world 3"
    assert r.outputs["back"] == "hello world 3"
    assert "never" not in r.outputs


def test_exec_sets_output_and_exit_code(tmp_path):
    r = run_asm(f"""
        exec [{PY}, "-c", "import sys; print('hi'); sys.exit(3)"], $out
        check.exit 3, fail
        halt 0
    """, tmp_path)
    assert r.exit_code == 0
    assert r.outputs["out"] == "hi\n"


def test_failed_check_reports_skill_line(tmp_path):
    r = run_asm(f"""
        .loc "SKILL.md" 12
        exec [{PY}, "-c", "raise SystemExit(1)"], $out
        check.exit 0, fail
        halt 0
    """, tmp_path)
    assert r.status == "failed" and r.exit_code == 1
    # the failure names the command and its exit code
    assert r.error.startswith("SKILL.md:12: step failed: `") and r.error.endswith("exited 1")


def test_check_exists_jumps_to_label(tmp_path):
    (tmp_path / "present.txt").write_text("x")
    r = run_asm("""
        check.exists "present.txt", @missing
        check.exists "absent.txt", @missing
        const $where, "fell through"
        halt 0
    missing:
        const $where, "jumped"
        halt 0
    """, tmp_path)
    assert r.outputs["where"] == "jumped"


def test_jump_and_branch(tmp_path):
    r = run_asm("""
        const $flag, true
        branch $flag, @yes
        const $path, "no"
        jump @end
    yes:
        const $path, "yes"
    end:
        halt 0
    """, tmp_path)
    assert r.outputs["path"] == "yes"


def test_branch_not_taken_on_falsy(tmp_path):
    r = run_asm("""
        const $flag, ""
        branch $flag, @yes
        const $path, "no"
        halt 0
    yes:
        const $path, "yes"
        halt 0
    """, tmp_path)
    assert r.outputs["path"] == "no"


def test_check_slot_and_check_file(tmp_path):
    (tmp_path / "good.json").write_text('{"n": 1}')
    (tmp_path / "bad.json").write_text('{"n": "one"}')
    schema = '{"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}'
    r = run_asm(f"""
        .const #0 json {schema}
        const $v, {{"n": 2}}
        check.slot $v, #0, fail
        check.file "good.json", #0, fail
        check.file "bad.json", #0, @bad
        halt 0
    bad:
        fail "bad.json rejected"
    """, tmp_path)
    assert r.exit_code == 1
    assert "bad.json rejected" in r.error


def test_fail_instruction_and_nonzero_halt(tmp_path):
    r = run_asm("halt 7\n", tmp_path)
    assert r.status == "failed" and r.exit_code == 7


def test_setenv_passes_parameters_as_environment(tmp_path):
    r = run_asm(f"""
        setenv "SKVM_PARAM", "a b; c"
        exec [{PY}, "-c", "import os; print(os.environ['SKVM_PARAM'])"], $out
        halt 0
    """, tmp_path)
    assert r.outputs["out"] == "a b; c\n"


def test_solid_runs_template_with_argv(tmp_path):
    from skvmc.bytecode import assemble
    from skvmc.vm import SandboxHost, run_program

    p = assemble("""
        solid "sum", ["2", "40"], $out
        halt 0
    """)
    templates = {"sum": {"language": "python",
                         "code": "import sys\nprint(sum(int(a) for a in sys.argv[1:]))\n"}}
    r = run_program(p, SandboxHost(tmp_path), solid_templates=templates)
    assert r.outputs["out"] == "42\n"
    r = run_program(assemble('solid "nope", [], $out\nhalt 0\n'), SandboxHost(tmp_path))
    assert r.exit_code == 1 and "no solidified template 'nope'" in r.error


def test_task_slot_is_preset(tmp_path):
    r = run_asm('concat $t, ["task=", $task]\nhalt 0\n', tmp_path, task="do it")
    assert r.outputs["t"] == "task=do it"


# -- ASK --------------------------------------------------------------------------------------

def test_ask_answer_goes_to_slot_and_schema_is_passed(tmp_path):
    model = ScriptedModel(['Sure! {"action": "answer", "answer": {"total": 5}} hope it helps'])
    r = run_asm("""
        .const #0 json {"type": "object", "required": ["total"]}
        .loc "SKILL.md" 4
        setstep 1, "Sum"
        ask "Add 2 and 3", $result, #0, 7, 3, 0
        halt 0
    """, tmp_path, model)
    assert r.exit_code == 0
    assert r.outputs["result"] == {"total": 5}
    schema = model.calls[0]["schema"]
    assert any(v["properties"]["action"] == {"const": "answer"} and
               v["properties"]["answer"] == {"type": "object", "required": ["total"]}
               for v in schema["anyOf"])
    # the step's prompt is in the system message (shared across runs), the task in the user's
    assert "Add 2 and 3" in model.calls[0]["messages"][0]["content"]
    assert model.calls[0]["messages"][1]["content"] == "Do the step."  # no task was given


def test_ask_runs_exec_read_write_actions(tmp_path):
    model = ScriptedModel([
        json.dumps({"action": "write", "path": "a.txt", "content": "abc"}),
        json.dumps({"action": "read", "path": "a.txt"}),
        json.dumps({"action": "exec", "argv": [sys.executable, "-c", "print(6*7)"]}),
        "```python\nprint('from code')\n```",
        json.dumps({"action": "done", "answer": "finished"}),
    ])
    r = run_asm('ask "work", $out, none, 7, 8, 0\nhalt 0\n', tmp_path, model)
    assert r.outputs["out"] == "finished"
    observations = [c["messages"][-1]["content"] for c in model.calls[1:]]
    assert observations[0] == "wrote a.txt; it now holds: abc"
    assert observations[1] == "abc"
    assert "exit code 0" in observations[2] and "42" in observations[2]
    assert "from code" in observations[3]


def test_ask_refuses_actions_outside_the_mask(tmp_path):
    model = ScriptedModel([json.dumps({"action": "exec", "argv": ["touch", "pwned"]}),
                           json.dumps({"action": "answer", "answer": "ok"})])
    r = run_asm('ask "read only", $out, none, 2, 4, 0\nhalt 0\n', tmp_path, model)
    assert r.exit_code == 0
    assert not (tmp_path / "pwned").exists()
    assert "not allowed" in model.calls[1]["messages"][-1]["content"]


def test_ask_out_of_turns_fails_with_line(tmp_path):
    model = ScriptedModel([json.dumps({"action": "read", "path": "nothing"})] * 2)
    r = run_asm('.loc "SKILL.md" 30\nask "x", $out, none, 7, 2, 0\nhalt 0\n', tmp_path, model)
    assert r.exit_code == 1
    assert r.error.startswith("SKILL.md:30: step failed: no acceptable answer within 2 turns")


def test_failed_check_retries_the_step_with_feedback(tmp_path):
    model = ScriptedModel(['{"action": "answer", "answer": "not a number"}',
                           '{"action": "answer", "answer": 42}'])
    r = run_asm("""
        .loc "SKILL.md" 7
        ask "Give a number", $n, none, 0, 2, 1
        check.slot $n, {"type": "integer"}, retry
        halt 0
    """, tmp_path, model)
    assert r.exit_code == 0 and r.outputs["n"] == 42
    assert len(model.calls) == 2
    assert "failed a check" in model.calls[1]["messages"][1]["content"]
    assert "$n does not match the schema" in model.calls[1]["messages"][1]["content"]


def test_retries_exhausted_fails_with_the_ask_line(tmp_path):
    model = ScriptedModel(['{"action": "answer", "answer": "nope"}'] * 3)
    r = run_asm("""
        .loc "SKILL.md" 7
        ask "Give a number", $n, none, 0, 2, 2
        .loc "SKILL.md" 8
        check.slot $n, {"type": "integer"}, retry
        halt 0
    """, tmp_path, model)
    assert r.exit_code == 1 and len(model.calls) == 3
    assert r.error.startswith("SKILL.md:7: step failed:") and "no retries left" in r.error


def test_check_exit_after_ask_exec(tmp_path):
    model = ScriptedModel([json.dumps({"action": "exec", "argv": [sys.executable, "-c",
                                                                  "raise SystemExit(2)"]}),
                           '{"action": "answer", "answer": "done"}'])
    r = run_asm('ask "x", $o, none, 1, 4, 0\ncheck.exit 2, fail\nhalt 0\n', tmp_path, model)
    assert r.exit_code == 0


# -- exit codes -------------------------------------------------------------------------------

def test_model_error_exit_code_3(tmp_path):
    r = run_asm('ask "x", $o, none, 0, 2, 0\nhalt 0\n', tmp_path, FailingModel())
    assert r.status == "model_error" and r.exit_code == 3
    assert "server unreachable" in r.error


def test_timeout_exit_code_4(tmp_path):
    import time
    t0 = time.monotonic()
    r = run_asm(f'exec [{PY}, "-c", "import time; time.sleep(10)"], $o\nhalt 0\n', tmp_path,
                timeout=0.5)
    assert r.status == "timeout" and r.exit_code == 4
    assert time.monotonic() - t0 < 5


def test_exec_timeout_is_exit_124_not_a_crash(tmp_path):
    r = run_asm(f'exec [{PY}, "-c", "import time; time.sleep(10)"], $o\n'
                'check.exit 124, fail\nhalt 0\n', tmp_path, host_options={"timeout": 0.3})
    assert r.exit_code == 0


def test_every_instruction_has_a_handler():
    from skvmc.bytecode import INSTRUCTIONS
    from skvmc.vm import VM

    missing = [d.mnemonic for d in INSTRUCTIONS
               if not callable(getattr(VM, "op_" + d.mnemonic.replace(".", "_"), None))]
    assert missing == []


def test_jit_hooks_can_skip_the_model(tmp_path):
    class FakeJit:
        def __init__(self):
            self.after = []

        def before_model(self, step):
            if step.prompt == "solid":
                return step.answer("from template")
            return None

        def after_model(self, step, outcome):
            self.after.append((step.pc, outcome.value))

        def finish(self):
            self.finished = True

    jit = FakeJit()
    model = ScriptedModel(['{"action": "answer", "answer": "from model"}'])
    r = run_asm('ask "solid", $a, none, 0, 2, 0\nask "live", $b, none, 0, 2, 0\nhalt 0\n',
                tmp_path, model, jit=jit)
    assert r.outputs == {"a": "from template", "b": "from model"}
    assert len(model.calls) == 1 and jit.after == [(1, "from model")]
    assert jit.finished
