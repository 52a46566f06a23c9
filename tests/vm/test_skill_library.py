"""The skill's own helper functions, put before model code that calls them undefined."""

from __future__ import annotations

import ast
import json

from skvmc.models.scripted import ScriptedModel
from skvmc.vm import SandboxHost
from skvmc.vm.skill_library import SkillLibrary, free_names
from tests.vm.vm_helpers import run_asm

SKILL = '''# JSON reshape

1. Flatten nested objects by joining keys with `.`:

   ```python
   def flatten(obj, prefix=""):
       out = {}
       for k, v in obj.items():
           if isinstance(v, dict):
               out.update(flatten(v, f"{prefix}{k}."))
           else:
               out[f"{prefix}{k}"] = v
       return out
   ```

```python
import json
rows = json.load(open("users.json"))   # a script: it runs statements, so it is no library
def load(path):
    return json.load(open(path))
```
'''


def test_only_fences_of_definitions_are_a_library():
    lib = SkillLibrary.from_text(SKILL)
    assert sorted(lib.definitions) == ["flatten"]  # `load` lives in a fence that runs code
    assert lib.definitions["flatten"].startswith('def flatten(obj, prefix=""):\n    out = {}')
    assert not SkillLibrary.from_text("```python\nprint(1)\n```\n")
    assert not SkillLibrary.from_text("```bash\nf() { :; }\n```\n")


def test_a_fence_of_constants_is_a_library_and_a_computed_value_is_not():
    # log-triage's pattern, which the 1.5B used undefined four times in a row
    line = ('```python\nimport re\nLINE = re.compile(r"^(\\S+) (DEBUG|INFO|WARN|ERROR) '
            '(.*)$", re.I | re.M)\nLEVELS: tuple = ("WARN", "ERROR")\nLIMIT = {"a": [1, 2.5]}'
            '\n```\n')
    lib = SkillLibrary.from_text(line)
    assert sorted(lib.definitions) == ["LEVELS", "LIMIT", "LINE"]
    code = "import sys\nfor raw in sys.stdin:\n    m = LINE.match(raw)\n"
    completed, note = lib.complete(code)
    assert completed.startswith("import re\nLINE = re.compile(") and completed.endswith(code)
    assert note.startswith("note: your code uses `LINE` without defining it")
    for fence in ["rows = json.load(open('a.json'))",  # reads a file: a script
                  "PATTERN = 'a+'\nLINE = re.compile(PATTERN)",  # not a literal pattern
                  "import re\nLINE = re.compile('a', flags=re.I)",  # keywords: not checked
                  "A, B = 1, 2",  # unpacking: not a plain name binding
                  "X = os.environ['HOME']"]:  # reads the environment
        assert not SkillLibrary.from_text(f"```python\n{fence}\n```\n"), fence


def test_a_call_to_an_undefined_skill_function_gets_its_definition():
    lib = SkillLibrary.from_text(SKILL)
    code = "import json\nusers = json.load(open('u.json'))\nrows = [flatten(u) for u in users]\n"
    completed, note = lib.complete(code)
    assert completed == lib.definitions["flatten"].rstrip() + "\n\n" + code
    assert note == ("note: your code uses `flatten` without defining it; the skill's "
                    "definition was put before your code.")
    compile(completed, "<test>", "exec")


def test_code_that_defines_the_name_itself_or_does_not_parse_is_left_alone():
    lib = SkillLibrary.from_text(SKILL)
    own = "def flatten(d):\n    return d\nprint(flatten({}))\n"
    assert lib.complete(own) == (own, "")
    assert lib.complete("flatten(") == ("flatten(", "")
    assert lib.complete("print(len([]))") == ("print(len([]))", "")


def test_free_names_ignore_builtins_and_every_kind_of_binding():
    code = ("import os.path as p\nfrom x import y\ndef f(a, *b, c=1, **d):\n    global g\n"
            "    return a\nclass K: pass\nfor i in range(3):\n    pass\n"
            "try:\n    pass\nexcept E as e:\n    pass\n[j for j in k]\n"
            "print(p, y, f, K, i, e, z)\n")
    assert free_names(ast.parse(code)) == {"E", "k", "z"}


def test_the_vm_runs_model_code_with_the_skill_helper(tmp_path):
    (tmp_path / "u.json").write_text(json.dumps([{"id": 1, "a": {"b": 2}}]))
    code = ("import json\nusers = json.load(open('u.json'))\n"
            "print(json.dumps([flatten(u) for u in users]))\n")
    model = ScriptedModel([json.dumps({"action": "exec", "language": "python", "code": code}),
                           '{"action": "answer", "answer": "done"}'])
    prompt = json.dumps(SKILL)
    r = run_asm(f"""
        ask {prompt}, $s, none, 7, 4, 0
        halt 0
    """, tmp_path, model, task="Flatten u.json.")
    assert r.status == "ok", r.error
    observation = model.calls[1].messages[-1]["content"]
    assert '[{"id": 1, "a.b": 2}]' in observation
    assert "the skill's definition was put before your code" in observation


def test_the_baseline_loop_has_no_library(tmp_path):
    from skvmc.bytecode.isa import ACT_ALL
    from skvmc.vm.agent import AgentLoop
    model = ScriptedModel([json.dumps({"action": "exec", "language": "python",
                                       "code": "print(flatten({}))"}),
                           '{"action": "answer", "answer": "x"}'])
    outcome = AgentLoop(SandboxHost(tmp_path, model)).run(
        [{"role": "system", "content": SKILL}, {"role": "user", "content": "go"}], ACT_ALL, 3)
    assert "NameError: name 'flatten' is not defined" in outcome.turns[0].result


def _flatten_users_observation(tmp_path, code: str) -> str:
    """What the VM shows the model after running ``code`` in a step of SKILL, on a list of
    users (``flatten`` is written for one of them)."""
    (tmp_path / "u.json").write_text(json.dumps([{"id": 1, "a": {"b": 2}}]))
    model = ScriptedModel([json.dumps({"action": "exec", "language": "python", "code": code}),
                           '{"action": "answer", "answer": "done"}'])
    r = run_asm(f"""
        ask {json.dumps(SKILL)}, $s, none, 7, 4, 0
        halt 0
    """, tmp_path, model, task="Flatten u.json.")
    assert r.status == "ok", r.error
    return model.calls[1].messages[-1]["content"]


def test_an_error_inside_the_skill_helper_names_it_and_the_callers_own_line(tmp_path):
    code = "import json\nusers = json.load(open('u.json'))\nrows = flatten(users)\nprint(rows)\n"
    observation = _flatten_users_observation(tmp_path, code)
    assert ("note: the error is raised inside the skill's `flatten` (`def flatten(obj, "
            'prefix="")`), called by line 3 of your code: `rows = flatten(users)`. Check what '
            "that line passes to `flatten`. It was given a list: call `flatten` on each item "
            "of it.") in observation
    # the note comes before the traceback, so the output cap never cuts it off
    assert observation.index("note: the error is raised") < observation.index("Traceback")
    assert "AttributeError: 'list' object has no attribute 'items'" in observation


def test_an_error_in_the_models_own_code_gets_no_helper_note():
    lib = SkillLibrary.from_text(SKILL)
    own = "x = flatten({})\nprint(1 / 0)\n"
    completed, _, start = lib.complete_at(own)
    assert start == completed[:completed.index(own)].count("\n") > 0
    stderr = ('Traceback (most recent call last):\n  File "/w/.skvm/step-1.py", line '
              f'{start + 2}, in <module>\nZeroDivisionError: division by zero\n')
    assert lib.explain_error(own, start, stderr) == ""
    assert lib.explain_error(own, 0, stderr) == ""  # nothing was put before the code


def test_imports_added_for_the_models_code_keep_the_callers_line_number(tmp_path):
    # the model's code leaves out ``import json`` too: the import goes first, the helper's
    # note still names the model's own line 2
    code = "users = json.load(open('u.json'))\nrows = flatten(users)\nprint(rows)\n"
    observation = _flatten_users_observation(tmp_path, code)
    assert "it ran with import json added at the top." in observation
    assert "called by line 2 of your code: `rows = flatten(users)`" in observation
    assert "AttributeError: 'list' object has no attribute 'items'" in observation
