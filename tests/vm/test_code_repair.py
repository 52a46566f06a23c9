"""The repairs of one-line programs and command lines a weak model sends as Python."""

from __future__ import annotations

import json
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skvmc.vm.code_repair import (
    escape_newlines_in_strings,
    repair_code,
    split_argv,
    split_statements,
)

# one-liners taken from the 1.5B's bench traces (and the block forms a reader expects)
SPLITS = [
    ("with open('app.log') as f: lines = f.readlines() n = sum(1 for x in lines if 'E' in x) "
     "with open('n.txt', 'w') as g: g.write(str(n))",
     "with open('app.log') as f:\n    lines = f.readlines()\n"
     "    n = sum(1 for x in lines if 'E' in x)\n    with open('n.txt', 'w') as g:\n"
     "        g.write(str(n))\n"),
    ("import json import csv x = 1 if True else 2 print(x)",
     "import json\nimport csv\nx = 1 if True else 2\nprint(x)\n"),
    ("count = 0 for line in open('a'): if 'E' in line: count += 1 print(count)",
     "count = 0\nfor line in open('a'):\n    if 'E' in line:\n        count += 1\nprint(count)\n"),
    ("try: x = int('a') except ValueError: x = 0 print(x)",
     "try:\n    x = int('a')\nexcept ValueError:\n    x = 0\nprint(x)\n"),
    ("if x: y = 1 else: y = 2 print(y)", "if x:\n    y = 1\nelse:\n    y = 2\nprint(y)\n"),
    ("def f(d): out = {} for k, v in d.items(): out[k] = v return out print(f({}))",
     "def f(d):\n    out = {}\n    for k, v in d.items():\n        out[k] = v\n    return out\n"
     "print(f({}))\n"),
    ("from os import path import sys print(path.sep)",
     "from os import path\nimport sys\nprint(path.sep)\n"),
    ("x = 1; y = 2 print(x + y)", "x = 1\ny = 2\nprint(x + y)\n"),
]


@pytest.mark.parametrize("code, expected", SPLITS)
def test_one_liners_split_into_statements(code, expected):
    assert split_statements(code) == expected
    language, fixed, note = repair_code("python", code)
    assert (language, fixed) == ("python", expected)
    assert note.startswith("note: your code was on one line") and note.endswith(expected)


@pytest.mark.parametrize("code", [
    "print(1)",                                   # compiles: left alone
    "print({1)",                                  # a brace that does not close: no fix
    "import json # then with open('a') as f: x",  # a comment hides what follows
    "x = (1 2",                                   # unbalanced
    "with open('a') as",                          # cut off
    "x = " + "(" * 3000 + "1" + ")" * 3000 + " y",  # too deep for the compiler: no crash
    "x = 1 " + "y = 2 " * 5000,                   # longer than REPAIR_LIMIT
])
def test_code_that_compiles_or_cannot_be_split_is_left_alone(code):
    assert repair_code("python", code) is None


def test_other_languages_are_left_alone():
    assert repair_code("bash", "echo a echo b") is None


def test_flattened_lines_of_a_multi_line_program_are_split_at_their_indent():
    # the 1.5B's invoice-vendor-totals code (trace): ordinary lines around flattened ones
    code = ("import json, os\ntotals = {}\n"
            "for name in os.listdir('inv'): if name.endswith('.json'): "
            "with open(name) as f: inv = json.load(f) v = inv['vendor'] "
            "if v in totals: totals[v] += 1 else: totals[v] = 1\n"
            "def main():\n    rows = sorted(totals.items()) print(rows)\nmain()")
    language, fixed, note = repair_code("python", code)
    assert language == "python"
    assert fixed == ("import json, os\ntotals = {}\n"
                     "for name in os.listdir('inv'):\n"
                     "    if name.endswith('.json'):\n"
                     "        with open(name) as f:\n"
                     "            inv = json.load(f)\n"
                     "            v = inv['vendor']\n"
                     "            if v in totals:\n"
                     "                totals[v] += 1\n"
                     "            else:\n"
                     "                totals[v] = 1\n"
                     "def main():\n    rows = sorted(totals.items())\n    print(rows)\nmain()")
    assert note.startswith("note: some lines of your code held several statements")
    assert repair_code("python", "x = 1\ny = 2 z = 3")[1] == "x = 1\ny = 2\nz = 3"


def test_multi_line_code_that_still_does_not_compile_after_a_split_is_left_alone():
    # a line cut off by the token budget cannot be saved by splitting the other lines
    assert repair_code("python", "a = 1 b = 2\nprint(f'{a},{len(x[") is None
    assert repair_code("python", "x = 1\n  y = 2 z = 3") is None  # bad indent stays bad


def test_a_json_closer_left_at_the_end_of_the_code_is_dropped():
    # the 1.5B's cron one-liner (trace of cron-sunday-jobs), resent 4 times unchanged
    code = ("with open('c') as f: lines = f.readlines() for line in lines: "
            "if line.startswith('0'): name = line.split()[5]}")
    lang, fixed, note = repair_code("python", code)
    assert fixed == ("with open('c') as f:\n    lines = f.readlines()\n    for line in lines:\n"
                     "        if line.startswith('0'):\n            name = line.split()[5]\n")
    assert note.startswith("note: your code ended in a stray '}' or ']'")
    assert repair_code("python", "import json\nprint(json.dumps([1]))]") == (
        "python", "import json\nprint(json.dumps([1]))",
        "note: your code ended in a stray '}' or ']' (the JSON object closed inside the code "
        "string); it ran without it.")
    # a closer that belongs to the code, or more than two stray ones, are left alone
    assert repair_code("python", "x = {'a': 1}") is None
    assert repair_code("python", "print(1)]]]") is None


def test_a_command_line_is_run_as_one():
    assert repair_code("python", "python3 scripts/slowreq.py a.log --min-ms 1500 --out s.csv") == (
        "bash", "python3 scripts/slowreq.py a.log --min-ms 1500 --out s.csv",
        "note: that was a command line, not Python; it ran as one.")
    assert repair_code("python", "for x in y") is None  # a keyword is not a program


_ATOMS = st.sampled_from(["x = 1", "print(x)", "import os", "y = [1, 2]", "if x:", "else:",
                          "for i in y:", "with open('a') as f:", "return x", "pass",
                          "z = x if y else 2", "def g(a):", "try:", "except Exception:", "#",
                          "(", ")", ":", "'s'", "lambda a: a"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ATOMS, min_size=1, max_size=8))
def test_a_repair_is_either_none_or_code_that_compiles(parts):
    code = " ".join(parts)
    fixed = repair_code("python", code)
    if fixed is None:
        return
    language, text, _ = fixed
    if language == "python":
        with warnings.catch_warnings():  # generated code may warn (a str called): not ours
            warnings.simplefilter("ignore", SyntaxWarning)
            compile(text, "<repair>", "exec")
        # a repair only re-lays the tokens out: nothing added, nothing dropped
        assert text.split() == code.split()


def _no_program(word):
    return False


@pytest.mark.parametrize("argv, expected", [
    (["python3", "s.py", "a.log", "--out summary.json"],
     ["python3", "s.py", "a.log", "--out", "summary.json"]),
    (["python3 scripts/csvsum.py", "sales.csv", "-c 2"],
     ["python3", "scripts/csvsum.py", "sales.csv", "-c", "2"]),
    (["python3 s.py a.log --top 3"], ["python3", "s.py", "a.log", "--top", "3"]),
    # left alone: a pattern with spaces, a value with spaces, two options, a negative number
    (["grep", "-c", " ERROR", "app.log"], ["grep", "-c", " ERROR", "app.log"]),
    (["git", "commit", "-m", "fix the bug"], ["git", "commit", "-m", "fix the bug"]),
    (["grep", "-e a b"], ["grep", "-e a b"]),
    (["prog", "--a --b"], ["prog", "--a --b"]),
    (["prog", "--min -5"], ["prog", "--min -5"]),
])
def test_run_together_argv_items_are_split(argv, expected):
    split, note = split_argv(argv, _no_program)
    assert split == expected
    if split != argv and len(argv) > 1:
        assert note == ("note: ran as " + json.dumps(expected) + ": a program and its script, "
                        "or an option and its value, are separate argv items.")
    else:
        assert note == ""


def test_a_program_whose_path_has_a_space_is_kept():
    assert split_argv(["/opt/my tools/run", "x"], lambda w: w == "/opt/my tools/run") == (
        ["/opt/my tools/run", "x"], "")


def test_a_line_break_inside_a_string_literal_is_written_as_an_escape():
    code = "with open('t.txt', 'w') as f: for p in ['/a', '/b']: f.write(p + '\n')"
    language, fixed, note = repair_code("python", code)
    assert fixed == ("with open('t.txt', 'w') as f:\n    for p in ['/a', '/b']:\n"
                     "        f.write(p + '\\n')\n")
    assert note.startswith("note: a line break inside a one-line string literal")
    assert "your code was on one line" in note
    # a multi-line program whose only fault is such a break: escaped, lines kept
    assert repair_code("python", "import csv\nprint('a\nb')\n")[1] == "import csv\nprint('a\\nb')"
    # escapes, other quotes and comments are respected; triple-quoted text is left alone
    assert escape_newlines_in_strings("s = 'it\\'s\n' # don't\nt = \"a'\nb\"") == (
        "s = 'it\\'s\\n' # don't\nt = \"a'\\nb\"")
    assert escape_newlines_in_strings("x = '''a\nb'''") == "x = '''a\nb'''"
    assert repair_code("python", "x = '''a\nb'''\nprint(x") is None  # another fault: none


def test_the_model_code_s_syntax_warnings_do_not_reach_the_user():
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert repair_code("python", "x = 1(2) y = 3") is not None  # 1(2) warns when compiled
    assert not [w for w in caught if issubclass(w.category, SyntaxWarning)]
