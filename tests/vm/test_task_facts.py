"""What the VM learns from the run itself: output files the task names, the workdir's files,
and a weak model's command line given as one string."""

from __future__ import annotations

import json
import sys

import pytest

from skvmc.vm import SandboxHost
from skvmc.vm.interp import describe_files
from skvmc.vm.task_outputs import (
    OutputSpec,
    TaskFiles,
    line_list_rules,
    lost_lines,
    new_lines,
    one_line_output,
    output_problem,
    required_header,
    required_headings,
    required_keys,
    task_files,
    task_outputs,
)
from tests.vm.vm_helpers import ScriptedModel, run_asm


@pytest.mark.parametrize("task,outputs", [
    ("Compute the sum of `amount` and write it to `total.txt` as a number.", ["total.txt"]),
    ("From `sales.csv` build `monthly.json`: keys are months.", ["monthly.json"]),
    ("Read `a.csv` and `b.csv`, then save the merged rows as merged.csv.", ["merged.csv"]),
    ("Write `report.md`, a short report about `sales.csv`.", ["report.md"]),
    ("`app.log` lists requests. Count the errors.", []),  # nothing asked to be written
    ("Summarise /root/data/in.json into /root/out/summary.json.", ["/root/out/summary.json"]),
    ("Write the total with 2 decimals (for example `123.45`) to out.txt.", ["out.txt"]),
])
def test_task_outputs(task, outputs):
    assert task_outputs(task) == outputs


def _ask_then_check(tmp_path, replies, task, turns=4, retries=1):
    """One ASK of a scripted model, then CHECK.OUTPUTS, which re-asks it on failure."""
    model = ScriptedModel(replies)
    r = run_asm(f"""
        ask "Do it", $s, none, 7, {turns}, {retries}
        check.outputs retry
        halt 0
    """, tmp_path, model, task=task)
    return model, r


def _user_message(model, call: int) -> str:
    """The latest user message of the model's ``call``-th turn: the task, facts and retry
    feedback of an ASK's first turn, or the observation of the action before."""
    return model.calls[call]["messages"][-1]["content"]


def _retry_message(tmp_path, files: dict[str, str], replies, task: str, call: int) -> str:
    """With ``files`` in the workdir, a run that must end ok; the ``call``-th user message."""
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    model, r = _ask_then_check(tmp_path, replies, task=task)
    assert r.status == "ok", r.error
    return _user_message(model, call)


@pytest.mark.parametrize("task,there,inputs", [
    ("From `sales.csv` build `monthly.json`: keys are months.", {"sales.csv"}, ["sales.csv"]),
    ("Read `a.csv` and `b.csv`, then save the merged rows as merged.csv.", {"a.csv", "b.csv"},
     ["a.csv", "b.csv"]),
    ("Which jobs in `/app/crontab` run? Write them to `/app/jobs.txt`.", {"/app/crontab"},
     ["/app/crontab"]),
    ("Write the count to `out.txt`.", set(), []),
    ("Write `notes` and the count to `out.txt`.", set(), []),  # a word in backticks is no path
])
def test_task_inputs(task, there, inputs):
    assert list(task_files(task, lambda p: p in there).inputs) == inputs


def test_a_missing_output_is_asked_of_code_when_the_task_data_is_here(tmp_path):
    retry = _retry_message(tmp_path, {"signups.csv": "email\na@x.org\n"}, [
        '{"action": "answer", "answer": "done"}',
        '{"action": "exec", "language": "python", "code": "open(\'n.txt\', \'w\').write(\'1\')"}',
        '{"action": "answer", "answer": "done"}',
    ], "`signups.csv` lists signups (`example.csv` shows one). Write the count to `n.txt`.", 1)
    # the data file that exists is named; the example the task only mentions is not
    assert ("the task asks for n.txt, which was not written. Its data is in signups.csv: "
            "write code that reads it and writes n.txt, and run it with "
            '{"action": "exec", "language": "python", "code": "..."}') in retry
    assert '"action": "write"' not in retry


def test_a_value_a_command_printed_is_offered_as_the_write_route(tmp_path):
    retry = _retry_message(tmp_path, {"app.log": "1 ERROR a\n2 INFO b\n3 ERROR c\n"}, [
        '{"action": "exec", "argv": ["grep", "-c", "ERROR", "app.log"]}',
        '{"action": "answer", "answer": {"count": 2}}',
        '{"action": "write", "path": "n.txt", "content": "2"}',
        '{"action": "answer", "answer": "done"}',
    ], "Count the `ERROR` lines of `app.log` and write the count to `n.txt`.", 2)
    assert ('the task asks for n.txt, which was not written. Your last command printed "2". '
            'If that is what n.txt should hold, write it with {"action": "write", "path": '
            '"n.txt", "content": "..."}; if not, write code that reads app.log and writes '
            "n.txt") in retry
    assert (tmp_path / "n.txt").read_text() == "2"


@pytest.mark.parametrize("stdout_code", [
    "print('a'); print('b')",  # two lines: a listing, not a value
    "print('x' * 81)",  # longer than a value
    "import sys; print('7'); sys.exit(1)",  # a failed command printed nothing usable
])
def test_only_a_short_one_line_output_of_a_successful_command_counts_as_printed(
        tmp_path, stdout_code):
    (tmp_path / "app.log").write_text("1 ERROR a\n", encoding="utf-8")
    model, r = _ask_then_check(tmp_path, [
        json.dumps({"action": "exec", "language": "python", "code": stdout_code}),
        '{"action": "answer", "answer": "done"}',
        '{"action": "write", "path": "n.txt", "content": "1"}',
        '{"action": "answer", "answer": "done"}',
    ], task="Count the `ERROR` lines of `app.log` and write the count to `n.txt`.")
    retry = _user_message(model, 2)
    assert "Your last command printed" not in retry
    assert "Its data is in app.log: write code that reads it" in retry


def test_check_outputs_passes_when_written_and_retries_otherwise(tmp_path):
    model, r = _ask_then_check(tmp_path, [
        '{"action": "answer", "answer": "done"}',
        '{"action": "exec", "argv": ["echo", "1"]}',
        '{"action": "write", "path": "out.txt", "content": "1"}',
        '{"action": "answer", "answer": "done"}',
    ], task="Write the count to `out.txt`.")
    assert r.status == "ok", r.error
    assert "out.txt, which was not written" in _user_message(model, 1)
    assert (tmp_path / "out.txt").read_text() == "1"  # typed, and printed by a command first


def test_a_retry_says_what_the_failed_attempt_did(tmp_path):
    (tmp_path / "in.txt").write_text("a\n", encoding="utf-8")
    model, r = _ask_then_check(tmp_path, [
        '{"action": "exec", "argv": ["cat", "missing.txt"]}',
        '{"action": "read", "path": "in.txt"}',
        '{"action": "answer", "answer": "not found"}',
        '{"action": "write", "path": "out.txt", "content": "1"}',
        '{"action": "answer", "answer": "done"}',
    ], task="Write the count to `out.txt`.", turns=8)
    assert r.status == "ok", r.error
    first_user = _user_message(model, 0)
    retry_user = _user_message(model, 3)
    assert "previous attempt" not in first_user
    assert retry_user.startswith("Write the count to `out.txt`.")
    did = retry_user[retry_user.index("Your previous attempt did:"):]
    assert did.splitlines()[1:4] == [
        "1. cat missing.txt -> exit code 1: cat: missing.txt: No such file or directory",
        "2. read in.txt",
        '3. answered not found']
    assert ('out.txt, which was not written; write it (with {"action": "write", "path": '
            '"out.txt", "content": "..."}, or with code that writes it)') in retry_user
    assert retry_user.endswith("Do not repeat it; fix it.")


@pytest.mark.parametrize("actions,accepted", [
    # typed with nothing behind it: a guess
    (['{"action": "write", "path": "t.txt", "content": "123.45"}'], False),
    # typed after a command printed it (rounded to what the task asks): explained
    (['{"action": "exec", "argv": ["echo", "16.1234"]}',
      '{"action": "write", "path": "t.txt", "content": "16.12"}'], True),
    # typed after reading a file that holds it: explained
    (['{"action": "read", "path": "in.txt"}',
      '{"action": "write", "path": "/root/t.txt", "content": "7"}'], True),
    # written by code: its numbers came from the code, never judged
    (['{"action": "exec", "argv": ["sh", "-c", "echo 99 > t.txt"]}'], True),
])
def test_check_outputs_asks_for_code_when_a_typed_number_is_a_guess(tmp_path, actions,
                                                                     accepted):
    (tmp_path / "in.txt").write_text("total 7\n", encoding="utf-8")
    model = ScriptedModel(actions + ['{"action": "answer", "answer": "done"}'])
    r = run_asm("""
        ask "Do it", $s, none, 7, 4, 0
        check.outputs fail
        halt 0
    """, tmp_path, model, task="Compute the total of `in.txt` and write it to `t.txt`.")
    wrote = [c["messages"][-1]["content"] for c in model.calls
             if c["messages"][-1]["content"].startswith("wrote ")]
    if accepted:
        assert r.status == "ok", r.error
        assert not any("note:" in w for w in wrote)
    else:
        assert r.status == "failed"
        assert ("t.txt holds 123.45, which no command printed and no file you read holds: "
                "write code that reads in.txt and writes t.txt itself") in r.error
        # said at the write already, while the model still has what it found
        assert wrote == ["wrote t.txt; it now holds: 123.45\nnote: 123.45 in t.txt came from "
                         "no command output and no file you read. Write code that reads in.txt "
                         "and writes t.txt itself, and run it with "
                         '{"action": "exec", "language": "python", "code": "..."}']


def test_check_outputs_without_retries_fails_naming_the_file(tmp_path):
    model, r = _ask_then_check(tmp_path, [
        '{"action": "answer", "answer": "done"}',
    ], task="Write the count to `out.txt`.", turns=2, retries=0)
    assert r.status == "failed" and "out.txt" in r.error


@pytest.mark.parametrize("task,path,keys", [
    ("Write `s.json`: a JSON object with the keys `requests` (number of requests), `status` "
     "(an object mapping each code to its count), `bytes` (total) and\n`top` (pairs).",
     "s.json", ["requests", "status", "bytes", "top"]),
    ("Write `m.json`: an object with `kept` (number of files copied) and `duplicates`.",
     "m.json", ["kept", "duplicates"]),
    # nested objects, plural, or a map with computed keys: their keys are not top-level ones
    ("From `a.csv` build `m.json`: a JSON object whose keys are months and whose values are "
     "objects with `revenue` and `orders`.", "m.json", []),
    ("Write `r.json`: a JSON list of objects `{\"id\": ..., \"total\": ...}`.", "r.json", []),
    ("Write `o.json`: an object mapping each column to its count.", "o.json", []),
    # "or" lists alternatives, and the list stops at the first word that is not a separator
    ("Write `x.json`: an object with `a` or `b`.", "x.json", ["a"]),
    ("Write `y.json`: an object with `a`, sorted by `b`.", "y.json", ["a"]),
    ("Write `z.json` with the totals.", "z.json", []),
])
def test_required_keys(task, path, keys):
    assert required_keys(task, path) == keys


@pytest.mark.parametrize("task,path,header", [
    ("Write `t.csv` with header `region,orders,total`, one row per region.", "t.csv",
     "region,orders,total"),
    ("Write `u.csv` with one row per user and the header\n`id,name,contact.email`\nwhere ...",
     "u.csv", "id,name,contact.email"),
    # the columns named loosely, a one-column "header", or a JSON output: no exact line known
    ("Write `c.csv` with the same columns (`name,email`): one row per person.", "c.csv", None),
    ("Write `d.csv` with the header `name`.", "d.csv", None),
    ("Write `e.json` with header `a,b`.", "e.json", None),
])
def test_required_header(task, path, header):
    assert required_header(task, path) == header


@pytest.mark.parametrize("task,path,expected", [
    ("Write `r.md` about `a.log` with exactly these level-2 sections, in\nthis order: "
     "`## Overview`, `## Top paths`.", "r.md", (["## Overview", "## Top paths"], True)),
    ("Write `r.md` with the sections `# Title` and `##  Notes`.", "r.md",
     (["# Title", "## Notes"], False)),
    # no backticked heading, another output's sentence, or not Markdown: nothing is asked
    ("Write `r.md` with a short overview section.", "r.md", ([], False)),
    ("Write `a.md`. Then write `b.md` with `## B`.", "a.md", ([], False)),
    ("Write `r.txt` with `## Overview`.", "r.txt", ([], False)),
])
def test_required_headings(task, path, expected):
    assert required_headings(task, path) == expected


def _md(headings, ordered):
    return OutputSpec(headings=tuple(headings), headings_ordered=ordered)


def test_output_problem_checks_markdown_headings():
    headings = ["## Overview", "## Top paths"]
    good = "# Report\n\n## Overview\ntext\n\n##  Top paths ##\n| a |\n"
    assert output_problem("r.md", good, _md(headings, True)) is None
    assert output_problem("r.md", "## Overview\n", _md(headings, True)) == (
        "r.md lacks the heading line(s) the task gives: `## Top paths`; add each as its own line")
    swapped = "## Top paths\n\n## Overview\n"
    assert output_problem("r.md", swapped, _md(headings, False)) is None
    assert output_problem("r.md", swapped, _md(headings, True)) == (
        "r.md has the headings out of order; the task asks for `## Overview`, `## Top paths` "
        "in this order")
    # a heading named only inside a line is not the heading line
    assert "lacks" in output_problem("r.md", "See ## Overview and ## Top paths\n",
                                     _md(headings, False))


@pytest.mark.parametrize("task,path,expected", [
    ("Write the script names (for example `a.sh`), one per line in alphabetical order, to "
     "`/app/jobs.txt`.", "/app/jobs.txt", (True, True, False)),
    ("Write them to `top.txt`, one per line, the most requested first.", "top.txt",
     (True, False, False)),
    ("Sort them alphabetically and write them to `n.txt`.", "n.txt", (False, False, False)),
    ("Write the line numbers to `bad.txt`, one number per line, ascending.", "bad.txt",
     (True, False, True)),
    # two outputs in the sentence, or a structured format: unknown, nothing asked
    ("Write `a.txt` and `b.txt`, one per line.", "a.txt", (False, False, False)),
    ("Write `r.json`, one per line.", "r.json", (False, False, False)),
])
def test_line_list_rules(task, path, expected):
    assert line_list_rules(task, path) == expected


def test_output_problem_checks_a_line_list():
    lines, sorted_lines = OutputSpec(one_per_line=True), OutputSpec(one_per_line=True,
                                                                    alphabetical=True)
    assert output_problem("t.txt", "/b\n/a\n", lines) is None
    doc = '{\n  "top_paths": [["/a", 3]]\n}\n'
    assert output_problem("t.txt", doc, lines) == (
        "t.txt holds a JSON document, but the task asks for one item per line: write just "
        "the items, each on its own line")
    assert output_problem("t.txt", "[1]", lines) is None  # one line may be the one item
    assert output_problem("t.txt", "A.sh\nb.sh\nC.sh\n", sorted_lines) is None  # case folded
    assert output_problem("t.txt", "report.sh\nbackup.sh\n", sorted_lines) == (
        "t.txt is not in alphabetical order; the task asks for it sorted: backup.sh, "
        "report.sh")
    ascending = OutputSpec(one_per_line=True, ascending=True)
    assert output_problem("t.txt", "3\n10\n", ascending) is None  # as numbers, not text
    assert output_problem("t.txt", "10\n3\n", ascending) == (
        "t.txt is not in ascending order; the task asks for it sorted: 3, 10")
    assert output_problem("t.txt", "b\na\n", ascending) is None  # not numbers: not judged


def test_output_problem_checks_a_csv_header():
    spec = OutputSpec(header="region,total")
    assert output_problem("t.csv", "region,total\r\nA,1\n", spec) is None
    problem = output_problem("t.csv", "Region;Total\nA,1\n", spec)
    assert problem == ("t.csv starts with the line `Region;Total`, but the task asks for the "
                       "header `region,total`; rewrite it")


def test_output_problem():
    assert output_problem("a.txt", "{", OutputSpec()) is None  # only .json outputs are parsed
    assert "not valid JSON" in output_problem("a.json", "{'a': 1}", OutputSpec())
    assert output_problem("a.json", '{"a": 1, "b": 2}', OutputSpec(keys=("a", "b"))) is None
    assert output_problem("a.json", '{"a": 1}', OutputSpec(keys=("a", "b"))) == (
        "a.json lacks the key(s) the task names: b; add them")
    # not an object: not judged
    assert output_problem("a.json", "[1, 2]", OutputSpec(keys=("a",))) is None


def test_check_outputs_retries_on_a_broken_json_output(tmp_path):
    model, r = _ask_then_check(tmp_path, [
        '{"action": "write", "path": "s.json", "content": "{\'n\': 1"}',
        '{"action": "answer", "answer": "done"}',
        '{"action": "write", "path": "s.json", "content": "{\\"n\\": 1}"}',
        '{"action": "answer", "answer": "done"}',
    ], task="Write `s.json`: a JSON object with the keys `n` and `m`.")
    retry_prompt = _user_message(model, 2)
    assert "s.json is not valid JSON" in retry_prompt
    # the retry starts over, so it is shown what the rejected file holds
    assert "(it now holds: \"{'n': 1\")" in retry_prompt
    # the second write parses but still lacks `m`, and no retry is left: the run fails
    assert r.status == "failed"
    assert "s.json lacks the key(s) the task names: m" in r.error


def test_check_outputs_retries_until_the_markdown_headings_are_there(tmp_path):
    model, r = _ask_then_check(tmp_path, [
        '{"action": "write", "path": "r.md", "content": "Overview: fine"}',
        '{"action": "answer", "answer": "done"}',
        '{"action": "write", "path": "r.md", "content": "## Overview\\nfine"}',
        '{"action": "answer", "answer": "done"}',
    ], task="Write `r.md` with the section `## Overview`.")
    assert r.status == "ok", r.error
    retry_prompt = _user_message(model, 2)
    assert "r.md lacks the heading line(s) the task gives: `## Overview`" in retry_prompt
    assert (tmp_path / "r.md").read_text() == "## Overview\nfine"


def test_describe_files_lists_files_with_first_lines(tmp_path):
    (tmp_path / "sales.csv").write_text("id,amount\n1,2\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "blob.bin").write_bytes(b"\x00\x01\x02")
    (tmp_path / ".hidden").write_text("x", encoding="utf-8")
    text = describe_files(SandboxHost(tmp_path, None, sandbox="process"))
    assert "- sales.csv (14 bytes; first line: id,amount)" in text
    assert "- sub/blob.bin (3 bytes)" in text  # not printable: no first line
    assert ".hidden" not in text


def test_describe_files_is_bounded(tmp_path):
    for i in range(50):
        (tmp_path / f"f{i:02}.txt").write_text("x", encoding="utf-8")
    text = describe_files(SandboxHost(tmp_path, None, sandbox="process"), limit=10)
    assert text.count("\n- f") == 10 and "only the first 10" in text


def test_facts_reach_the_user_message(tmp_path):
    model = ScriptedModel(['{"action": "answer", "answer": "ok"}'])
    r = run_asm("""
        fact "the header is id,amount"
        ask "Do it", $s, none, 7, 2, 0
        halt 0
    """, tmp_path, model, task="sum it")
    assert r.status == "ok"
    user = _user_message(model, 0)
    assert user.startswith("sum it") and "Already known:\n\nthe header is id,amount" in user


def test_get_and_lasterror(tmp_path):
    r = run_asm("""
        .const #0 json {"a": 1}
        const $o, #0
        get $x, $o, "a"
        get $y, $o, "missing"
        check.exists "nope.txt", @bad
        halt 0
    bad:
        lasterror $e
        halt 0
    """, tmp_path, ScriptedModel([]))
    assert r.outputs["x"] == 1 and "y" not in r.outputs
    assert r.outputs["e"] == "file nope.txt does not exist"


def test_command_line_in_one_string_is_split_without_a_shell(tmp_path):
    line = f"{sys.executable} -c print(6*7)"
    model = ScriptedModel([json.dumps({"action": "exec", "argv": [line]}),
                           json.dumps({"action": "exec", "argv": f"{sys.executable} -V | cat"}),
                           '{"action": "answer", "answer": "done"}'])
    r = run_asm('ask "Do it", $s, none, 7, 4, 0\nhalt 0\n', tmp_path, model,
                host_options={"sandbox": "process"})
    assert r.status == "ok"
    first = model.calls[1]["messages"][-1]["content"]
    assert first.startswith("exit code 0") and "42" in first
    second = model.calls[2]["messages"][-1]["content"]
    assert "without a shell" in second  # a pipe is refused, not run by a shell


def test_a_fact_is_capped(tmp_path):
    from skvmc.vm.interp import FACT_CAP

    model = ScriptedModel(['{"action": "answer", "answer": "ok"}'])
    r = run_asm(f"""
        fact "{'x' * (FACT_CAP + 50)}"
        ask "Do it", $s, none, 7, 2, 0
        halt 0
    """, tmp_path, model, task="t")
    assert r.status == "ok"
    user = _user_message(model, 0)
    assert "x" * FACT_CAP in user and "[50 more characters]" in user


def test_check_outputs_does_not_demand_a_path_outside_the_sandbox(tmp_path):
    # the sandbox cannot see /opt: that output is not demanded; done.txt is, and was written
    model = ScriptedModel(['{"action": "write", "path": "done.txt", "content": "x"}',
                           '{"action": "answer", "answer": "done"}'])
    r = run_asm("""
        ask "Do it", $s, none, 7, 3, 0
        check.outputs fail
        halt 0
    """, tmp_path, model,
                task="Save the script as /opt/jobs/cleanup.sh and write the list to `done.txt`.")
    assert r.status == "ok", r.error


def test_a_rejected_output_is_quoted_only_by_its_head(tmp_path):
    big = "x" * 1000
    model, r = _ask_then_check(tmp_path, [
        json.dumps({"action": "write", "path": "r.md", "content": big}),
        '{"action": "answer", "answer": "done"}',
        '{"action": "write", "path": "r.md", "content": "## Overview\\nfine"}',
        '{"action": "answer", "answer": "done"}',
    ], task="Write `r.md` with the section `## Overview`.")
    assert r.status == "ok", r.error
    retry_prompt = _user_message(model, 2)
    assert f'(it now holds: "{"x" * 300}" ... [700 more characters])' in retry_prompt


def test_a_missing_output_is_asked_from_the_files_the_run_made(tmp_path):
    retry = _retry_message(tmp_path, {"access.log": "GET /\n"}, [
        '{"action": "exec", "argv": ["sh", "-c", "echo 1 > summary.json"]}',
        '{"action": "answer", "answer": "done"}',
        '{"action": "write", "path": "report.md", "content": "1 request"}',
        '{"action": "answer", "answer": "done"}',
    ], "Write `report.md` about `access.log`.", 2)
    # the script's output is the data now, not the raw log it read
    assert ("the task asks for report.md, which was not written. Files made during the run: "
            "summary.json. Write report.md from what they hold") in retry
    assert "Its data is in access.log" not in retry


@pytest.mark.parametrize("task,there,expected", [
    # a noun-like writing word before a file that is there: the file is data, not an output
    ("The signup export `signups.csv` must match `schema.json`. Write the bad lines to "
     "`bad.txt`.", {"signups.csv", "schema.json"},
     TaskFiles(("bad.txt",), (), ("signups.csv", "schema.json"))),
    # "add ... to" a file that is there: edited; the task says to keep its lines
    ("Add a job to `/root/crontab` that runs `/opt/x.sh` daily. Keep every existing line as "
     "it is.", {"/root/crontab"}, TaskFiles((), ("/root/crontab",), (), ("/root/crontab",))),
    # "to" in "need to know" writes nothing
    ("We need to know which jobs in `/app/crontab` run. Write them to `jobs.txt`.",
     {"/app/crontab"}, TaskFiles(("jobs.txt",), (), ("/app/crontab",))),
    # an editing verb before a file that is not there: nothing to edit, so not judged
    ("Update `config.yaml` with the new port.", set(), TaskFiles()),
    ("Update `config.yaml` with the new port.", {"config.yaml"},
     TaskFiles((), ("config.yaml",), ())),
    # a bare word in backticks is a file only when it is one
    ("For each job in `crontab`, write its runs to `runs.json`.", {"crontab"},
     TaskFiles(("runs.json",), (), ("crontab",))),
    ("Write `notes` and the count to `out.txt`.", set(), TaskFiles(("out.txt",), (), ())),
    # a file the task changes, not only adds to: the keep rule would undo the change
    ("Fix the typo in `notes.txt`. Keep every existing line.", {"notes.txt"},
     TaskFiles((), ("notes.txt",), ())),
    # "the other lines": some lines change
    ("Append a line to `notes.txt` and keep the other lines.", {"notes.txt"},
     TaskFiles((), ("notes.txt",), ())),
    # two edited files: which one the keep rule means is unknown, so neither gets it
    ("Append the row to `a.csv` and to `b.csv`. Keep the existing rows.", {"a.csv", "b.csv"},
     TaskFiles((), ("a.csv", "b.csv"), ())),
])
def test_task_files_tells_outputs_edited_files_and_inputs_apart(task, there, expected):
    assert task_files(task, lambda p: p in there) == expected


def test_a_file_the_sandbox_cannot_see_is_not_judged():
    files = task_files("Read `/opt/in.csv` and write `/opt/out.csv`.", lambda p: None)
    assert files == TaskFiles()


def test_lost_lines_counts_repeats_and_ignores_blank_lines_and_spacing():
    assert lost_lines("a\n\nb\nb\n", "b  \na\nnew\n") == ["b"]
    assert lost_lines("a\nb\n", "x\na\nb\n") == []
    assert lost_lines("0 2 * * * x\n", "0  2 * *   * x\n") == []
    assert new_lines("a\nb\n", "b\n c \na\n\nc\n") == [" c", "c"]


CRONTAB = "# jobs\n0 2 * * * /opt/backup.sh\n15 * * * * /opt/poll.sh\n"
ADD_JOB = ("Add a job to `/root/crontab` that runs `/opt/cleanup.sh` at 04:30 on weekdays. "
           "Keep every existing line as it is.")


def _write_crontab(tmp_path, content: str):
    """CRONTAB in the workdir, a model that writes ``content`` to it and answers, ADD_JOB."""
    (tmp_path / "crontab").write_text(CRONTAB, encoding="utf-8")
    return _ask_then_check(tmp_path, [
        json.dumps({"action": "write", "path": "/root/crontab", "content": content}),
        '{"action": "answer", "answer": "done"}',
    ], task=ADD_JOB)


def test_a_write_that_drops_the_lines_to_keep_is_written_as_them_plus_its_new_lines(tmp_path):
    new = "30 4 * * 1-5 /opt/cleanup.sh\n"
    model, r = _write_crontab(tmp_path, new)
    assert r.status == "ok", r.error
    assert (tmp_path / "crontab").read_text() == CRONTAB + new
    wrote = _user_message(model, 1)
    assert wrote == ("wrote /root/crontab (4 lines)\nnote: this write left out 3 of the lines "
                     "/root/crontab had at the start, and the task says to keep them: it was "
                     'written as those lines with your 1 new line(s) after them: "30 4 * * 1-5 '
                     '/opt/cleanup.sh". Read /root/crontab to check it')
    # its numbers (04:30 typed as `30 4`, weekdays as 1-5) are not judged as guesses
    assert "no command output" not in wrote
    assert len(model.calls) == 2  # no retry


def test_a_rewrite_that_only_respaces_the_kept_lines_adds_no_duplicates(tmp_path):
    respaced = CRONTAB.replace("* * * ", "*  *  *  ").replace("# jobs\n", "")
    model, r = _write_crontab(tmp_path, respaced + "30 4 * * 1-5 /opt/cleanup.sh\n")
    assert r.status == "ok", r.error
    # the comment it dropped is back; the respaced jobs are the kept ones, not new ones
    assert (tmp_path / "crontab").read_text() == CRONTAB + "30 4 * * 1-5 /opt/cleanup.sh\n"


def test_a_write_of_only_a_subset_leaves_the_file_as_it_was(tmp_path):
    model, r = _write_crontab(tmp_path, "# jobs\n")
    assert (tmp_path / "crontab").read_text() == CRONTAB
    assert "added none, and the task says to keep them: /root/crontab was left as it was" in (
        _user_message(model, 1))


def test_an_edited_file_that_lost_the_lines_to_keep_by_a_command_is_asked_again(tmp_path):
    (tmp_path / "crontab").write_text(CRONTAB, encoding="utf-8")
    model, r = _ask_then_check(tmp_path, [
        '{"action": "exec", "argv": ["sh", "-c", "echo new > crontab"]}',
        '{"action": "answer", "answer": "done"}',
        '{"action": "exec", "argv": ["sh", "-c", "cat crontab"]}',
        '{"action": "answer", "answer": "done"}',
    ], task=ADD_JOB, retries=0)
    assert r.status == "failed"
    assert ("/root/crontab no longer holds 3 of the lines it had at the start, which the task "
            'says to keep (first: "# jobs")') in r.error
    assert "Its content at the start was:\n# jobs\n0 2 * * * /opt/backup.sh" in r.error


def test_an_edited_file_that_keeps_its_lines_passes_at_once(tmp_path):
    model, r = _write_crontab(tmp_path, CRONTAB + "30 4 * * 1-5 /opt/cleanup.sh\n")
    assert r.status == "ok", r.error
    assert len(model.calls) == 2
    assert _user_message(model, 1) == "wrote /root/crontab (4 lines)"  # no note: nothing lost


def test_a_removed_edited_file_is_asked_again(tmp_path):
    (tmp_path / "crontab").write_text(CRONTAB, encoding="utf-8")
    model, r = _ask_then_check(tmp_path, [
        '{"action": "exec", "argv": ["rm", "crontab"]}',
        '{"action": "answer", "answer": "done"}',
        json.dumps({"action": "write", "path": "/root/crontab", "content": CRONTAB}),
        '{"action": "answer", "answer": "done"}',
    ], task=ADD_JOB)
    assert r.status == "ok", r.error
    assert "/root/crontab was there at the start and is gone" in _user_message(model, 2)


def test_the_data_a_noun_like_write_word_names_is_offered_as_data(tmp_path):
    retry = _retry_message(tmp_path, {"signups.csv": "email\nx\n", "schema.json": "{}"}, [
        '{"action": "answer", "answer": "done"}',
        json.dumps({"action": "exec", "language": "python",
                    "code": "open('bad.txt', 'w').write('2')"}),
        '{"action": "answer", "answer": "done"}',
    ], "The signup export `signups.csv` must match `schema.json`. Write the line numbers of "
       "the rows that break it to `bad.txt`.", 1)
    assert ("the task asks for bad.txt, which was not written. Its data is in signups.csv, "
            "schema.json: write code that reads them") in retry


@pytest.mark.parametrize("path,value,fits", [
    ("total.txt", "4185.69", True),
    ("count", "12", True),
    ("summary.json", "4185.69", False),  # a total is not the object the output is
    ("summary.json", '{"a": 1}', True),
    ("rows.json", "[1, 2]", True),
    ("report.md", "4185.69", False),
    ("out/table.CSV", "a,b", False),
])
def test_one_line_output(path, value, fits):
    assert one_line_output(path, value) is fits


def test_a_printed_total_is_not_offered_as_a_json_reports_content(tmp_path):
    retry = _retry_message(tmp_path, {"sales.csv": "date,amount\n2025-01-02,3\n"}, [
        '{"action": "exec", "argv": ["echo", "4185.69"]}',
        '{"action": "answer", "answer": {"revenue": 4185.69}}',
        json.dumps({"action": "exec", "language": "python",
                    "code": "open('m.json', 'w').write('{}')"}),
        '{"action": "answer", "answer": "done"}',
    ], "From `sales.csv` build `m.json`: an object whose keys are months.", 2)
    assert "Your last command printed" not in retry
    assert ("the task asks for m.json, which was not written. Its data is in sales.csv: write "
            "code that reads it and writes m.json") in retry
