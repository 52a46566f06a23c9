"""Model code that looks up a field the task's data does not have is shown the fields it has."""

from __future__ import annotations

import json

from skvmc.bytecode.isa import ACT_ALL
from skvmc.models.scripted import ScriptedModel
from skvmc.vm import SandboxHost
from skvmc.vm.data_keys import field_names, key_note, missing_key

TRACEBACK = """Traceback (most recent call last):
  File "/tmp/w/.skvm/step1-3-1.py", line 18, in <module>
    name = normalize_name(row['name'])
                          ~~~^^^^^^^^
KeyError: 'name'
"""


def _workdir(tmp_path):
    (tmp_path / "signups.csv").write_text("\ufeffemail,full_name,phone\r\na@x.org,Ann,1\r\n")
    (tmp_path / "orders.tsv").write_text("id\tqty\n1\t2\n")
    (tmp_path / "users.json").write_text(json.dumps([{"id": 1, "country": "FR"}]))
    (tmp_path / "notes.txt").write_text("name: not a data file\n")
    return SandboxHost(tmp_path, None)


def test_the_key_is_the_last_key_error_of_the_traceback():
    assert missing_key(TRACEBACK) == "name"
    assert missing_key('KeyError: "full name"\n') == "full name"
    assert missing_key("KeyError: 3\n") is None  # an index, not a field name
    assert missing_key("raise KeyError('x') in a comment") is None
    assert missing_key("") is None


def test_field_names_of_tables_and_json_files(tmp_path):
    names = dict(field_names(_workdir(tmp_path)))
    assert names == {"signups.csv": ["email", "full_name", "phone"],
                     "orders.tsv": ["id", "qty"], "users.json": ["id", "country"]}


def test_a_name_no_file_has_gets_the_names_that_exist_nearest_first(tmp_path):
    note = key_note(TRACEBACK, _workdir(tmp_path))
    assert note.startswith("note: no data file here has a field named 'name'.")
    assert "- signups.csv has: email, full_name, phone" in note
    assert "The nearest name is 'full_name'." in note


def test_no_note_when_the_name_exists_or_there_is_no_data(tmp_path):
    host = _workdir(tmp_path)
    assert key_note("KeyError: 'country'\n", host) == ""  # a real field: another mistake
    assert key_note("ValueError: bad\n", host) == ""
    empty = tmp_path / "empty"
    empty.mkdir()
    assert key_note(TRACEBACK, SandboxHost(empty, None)) == ""


def test_unparseable_json_and_binary_tables_are_skipped(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "deep.json").write_text("[" * 5000 + "]" * 5000)
    (tmp_path / "t.csv").write_text("a,b\n")
    assert field_names(SandboxHost(tmp_path, None)) == [("t.csv", ["a", "b"])]


def test_a_compiled_step_sees_the_note_and_the_baseline_loop_does_not(tmp_path):
    from skvmc.vm.agent import AgentLoop

    _workdir(tmp_path)
    code = "import csv\nfor row in csv.DictReader(open('signups.csv')):\n    print(row['name'])\n"
    action = json.dumps({"action": "exec", "language": "python", "code": code})
    answer = json.dumps({"action": "answer", "answer": "ok"})
    for explain, expect in ((True, True), (False, False)):
        model = ScriptedModel([action, answer])
        AgentLoop(SandboxHost(tmp_path, model, sandbox="process"), explain_keys=explain).run(
            [{"role": "user", "content": "go"}], ACT_ALL, 4)
        seen = model.calls[1].messages[-1]["content"]
        assert "KeyError: 'name'" in seen
        assert ("The nearest name is 'full_name'." in seen) is expect
