"""Model code that imports one of the skill's scripts as a module is shown how to run it."""

from __future__ import annotations

import json

from skvmc.bytecode.isa import ACT_ALL
from skvmc.models.scripted import ScriptedModel
from skvmc.vm import SandboxHost
from skvmc.vm.agent import AgentLoop
from skvmc.vm.script_usage import documented_commands, import_note

PROMPT = """`scripts/validate.py` checks a CSV file against a schema.

```bash
python3 scripts/validate.py DATA.csv --schema SCHEMA.json --out report.json
```

Then run `bash scripts/report.sh` and `python scripts/validate.py other.csv` if needed.
"""


def test_the_first_command_line_of_each_script_is_kept():
    assert documented_commands(PROMPT) == {
        "validate": "python3 scripts/validate.py DATA.csv --schema SCHEMA.json --out report.json",
        "report": "bash scripts/report.sh"}
    assert documented_commands("Use `scripts/validate.py` to check it.") == {}  # no command


def test_only_a_missing_module_named_like_a_documented_script_gets_the_note():
    commands = documented_commands(PROMPT)
    note = import_note("ModuleNotFoundError: No module named 'validate'\n", commands)
    assert note.startswith("note: `validate` is not a Python module here: it is one of the "
                           "skill's scripts")
    assert "`python3 scripts/validate.py DATA.csv --schema SCHEMA.json --out report.json`" in note
    assert import_note("ModuleNotFoundError: No module named 'validate.core'", commands)
    assert import_note("ModuleNotFoundError: No module named 'pandas'", commands) == ""
    assert import_note("NameError: name 'validate' is not defined", commands) == ""


def test_a_compiled_step_that_imports_the_script_is_told_to_run_it(tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "validate.py").write_text("print('ok')\n")
    code = "from validate import validate\nprint(validate('orders.csv'))\n"
    action = json.dumps({"action": "exec", "language": "python", "code": code})
    answer = json.dumps({"action": "answer", "answer": "ok"})
    for commands, expect in ((documented_commands(PROMPT), True), (None, False)):
        model = ScriptedModel([action, answer])
        AgentLoop(SandboxHost(tmp_path, model), commands=commands).run(
            [{"role": "user", "content": "go"}], ACT_ALL, 4)
        seen = model.calls[1].messages[-1]["content"]
        assert "No module named 'validate'" in seen
        shown = "Run it as the skill shows: `python3 scripts/validate.py DATA.csv" in seen
        assert shown is expect
