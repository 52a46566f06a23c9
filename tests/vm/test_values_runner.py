"""Model Python that raises in a compiled step: the traceback, then the failing line's values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from skvmc.bytecode.isa import ACT_ALL
from skvmc.models.scripted import ScriptedModel
from skvmc.vm import SandboxHost
from skvmc.vm import values_runner as vr
from skvmc.vm.agent import AgentLoop

RUNNER = Path(vr.__file__)

# as weak models write it: the column named as the task's prose spells it, not as the file does
WRONG_COLUMN = ('import csv\ntotal = 0\nwith open("sales.csv", newline="") as f:\n'
                '    for row in csv.DictReader(f):\n'
                '        total += float(row["Amount"])\nprint(total)\n')


def run(tmp_path, code: str, *args: str, runner: bool = True):
    script = tmp_path / "code.py"
    script.write_text(code)
    argv = [sys.executable] + ([str(RUNNER)] if runner else []) + [str(script), *args]
    return subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=30)


def test_a_key_error_shows_the_row_it_looked_in(tmp_path):
    (tmp_path / "sales.csv").write_text("region,amount\nNorth,1.5\n")
    r = run(tmp_path, WRONG_COLUMN)
    plain = run(tmp_path, WRONG_COLUMN, runner=False)
    assert r.returncode == plain.returncode == 1
    # python's own traceback comes first, unchanged (no frame of the runner or runpy)
    assert r.stderr.startswith(plain.stderr)
    assert "values_runner" not in r.stderr and "runpy" not in r.stderr
    values = r.stderr[len(plain.stderr):]
    assert values.splitlines() == ["values on the failing line:", "  total = 0",
                                   "  row = {'region': 'North', 'amount': '1.5'}"]


def test_success_exit_codes_argv_and_main_are_as_python_gives_them(tmp_path):
    code = ('import sys\nprint(__name__, sys.argv[1:], __file__ == sys.argv[0] or __file__)\n'
            'sys.exit(int(sys.argv[1]))\n')
    for status in ("0", "3"):
        r = run(tmp_path, code, status)
        plain = run(tmp_path, code, status, runner=False)
        assert (r.returncode, r.stdout, r.stderr) == (plain.returncode, plain.stdout, plain.stderr)
        assert r.returncode == int(status)


def test_a_syntax_error_is_reported_as_python_reports_it(tmp_path):
    r = run(tmp_path, "x = (\n")
    plain = run(tmp_path, "x = (\n", runner=False)
    assert r.returncode == 1 and r.stderr == plain.stderr
    assert "SyntaxError" in r.stderr and "values on the failing line" not in r.stderr


def test_an_error_in_a_function_shows_that_frames_values(tmp_path):
    code = ('def f(d, k):\n    return int(d[k])\n'
            'data = {f"k{i}": i for i in range(100)}\nf(data, "x")\n')
    lines = run(tmp_path, code).stderr.split("values on the failing line:\n")[1].splitlines()
    assert lines[0].startswith("  d = dict with keys ['k0', 'k1'")
    assert lines[0].endswith("... (100 keys)]")
    assert lines[1] == "  k = 'x'"


def test_values_are_short_and_names_that_say_themselves_are_left_out(tmp_path):
    assert vr.describe(vr) is None and vr.describe(len) is None and vr.describe(int) is None
    long = vr.describe(list(range(1000)))
    assert len(long) < vr.VALUE_CHARS + 40 and long.endswith("(list of length 1000)")
    assert vr.describe("x" * 1000).endswith("...  (str of length 1000)")

    class Broken:
        def __repr__(self):
            raise RuntimeError("no")

    assert vr.describe(Broken()) == "<Broken: repr failed: RuntimeError>"
    assert vr.line_names("    total += float(row['amount']).real  # x\n") == [
        "total", "float", "row"]
    assert vr.line_names("if (") == []  # keywords only, or untokenizable: no names


def test_a_compiled_step_shows_the_values_and_the_baseline_loop_does_not(tmp_path):
    (tmp_path / "sales.csv").write_text("region,amount\nNorth,1.5\n")
    action = json.dumps({"action": "exec", "language": "python", "code": WRONG_COLUMN})
    answer = json.dumps({"action": "answer", "answer": "ok"})
    for show, expect in ((True, True), (False, False)):
        model = ScriptedModel([action, answer])
        AgentLoop(SandboxHost(tmp_path, model), show_values=show).run(
            [{"role": "user", "content": "go"}], ACT_ALL, 4)
        seen = model.calls[1].messages[-1]["content"]
        assert seen.startswith("exit code 1") and "KeyError: 'Amount'" in seen
        assert ("row = {'region': 'North', 'amount': '1.5'}" in seen) is expect
        # the runner is the VM's file, not one the model's command wrote
        assert "values_runner" not in seen
