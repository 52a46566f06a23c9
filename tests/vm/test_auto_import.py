"""The standard-library imports a model's code leaves out, added before a compiled step runs it."""

from __future__ import annotations

import json

import pytest

from skvmc.bytecode.isa import ACT_ALL
from skvmc.models.scripted import ScriptedModel
from skvmc.vm import SandboxHost
from skvmc.vm.agent import AgentLoop
from skvmc.vm.auto_import import complete_imports, missing_imports

# as the 1.5B wrote it on csv-group-by-region: both imports left out
GROUP_BY = ('region_totals = defaultdict(float)\nwith open("sales.csv", newline="") as f:\n'
            '    for row in csv.DictReader(f):\n'
            '        region_totals[row["region"]] += float(row["amount"])\n'
            'print(dict(region_totals))\n')


def test_members_and_modules_are_imported_in_the_order_first_used():
    assert missing_imports(GROUP_BY) == ["from collections import defaultdict", "import csv"]
    code, note = complete_imports(GROUP_BY)
    assert code == "from collections import defaultdict\nimport csv\n" + GROUP_BY
    assert note == ("note: your code uses names it does not import; it ran with from "
                    "collections import defaultdict; import csv added at the top.")


@pytest.mark.parametrize("code, wanted", [
    ("print(datetime.now())", ["from datetime import datetime"]),
    ("print(datetime.date(2020, 1, 2))", ["import datetime"]),
    ("print(Path('a').name, json.dumps(1))", ["from pathlib import Path", "import json"]),
    ("import csv\nprint(csv.reader)", []),                    # already imported
    ("from collections import *\nprint(Counter('a'))", []),   # bound out of sight
    ("exec('import csv')\nprint(csv.reader)", []),            # bound out of sight
    ("json = '{}'\nprint(json.upper())", []),                 # bound by the code itself
    ("def f(re):\n    return re.x\nprint(re.sub)", []),       # bound anywhere counts as bound
    ("print(json)", []),                                      # a module name not used as one
    ("print(undefined_thing)", []),                           # no standard-library meaning
    ("print(1 +", []),                                        # does not parse: left alone
    ("[" * 2000 + "]" * 2000, []),                            # too deep for Python's parser
])
def test_what_is_completed_and_what_is_left_alone(code, wanted):
    assert missing_imports(code) == wanted
    if not wanted:
        assert complete_imports(code) == (code, "")


def test_a_docstring_and_future_imports_stay_first():
    code, _ = complete_imports('"""Doc."""\nfrom __future__ import annotations\nprint(re.sub)\n')
    assert code == '"""Doc."""\nfrom __future__ import annotations\nimport re\nprint(re.sub)\n'
    compile(code, "x", "exec")


def test_a_compiled_step_runs_the_code_with_its_imports_and_says_so(tmp_path):
    (tmp_path / "sales.csv").write_text("region,amount\nNorth,1.5\nSouth,2\nNorth,1\n")
    run = json.dumps({"action": "exec", "language": "python", "code": GROUP_BY})
    answer = json.dumps({"action": "answer", "answer": "ok"})
    model = ScriptedModel([run, answer])
    AgentLoop(SandboxHost(tmp_path, model), fix_imports=True).run(
        [{"role": "user", "content": "go"}], ACT_ALL, 4)
    seen = model.calls[1].messages[-1]["content"]
    assert seen.startswith("exit code 0\nnote: your code uses names it does not import")
    assert "{'North': 2.5, 'South': 2.0}" in seen
    # the baseline loop (a harness stand-in) runs the code as written
    model = ScriptedModel([run, answer])
    AgentLoop(SandboxHost(tmp_path, model)).run([{"role": "user", "content": "go"}], ACT_ALL, 4)
    seen = model.calls[1].messages[-1]["content"]
    assert seen.startswith("exit code 1") and "NameError: name 'defaultdict'" in seen
