"""The agent loop's handling of weak-model habits: repeats, long tracebacks, one-line code."""

from __future__ import annotations

import json

from skvmc.bytecode.isa import ACT_ALL
from skvmc.models.scripted import ScriptedModel
from skvmc.vm import SandboxHost
from skvmc.vm.agent import AgentLoop, RepeatGuard, failed

BROKEN = json.dumps({"action": "exec", "language": "python", "code": "print(undefined_name)"})
FIXED = json.dumps({"action": "exec", "language": "python", "code": "print(41 + 1)"})
ANSWER = json.dumps({"action": "answer", "answer": "42"})


def _run(tmp_path, answers, max_turns=8):
    model = ScriptedModel(answers)
    loop = AgentLoop(SandboxHost(tmp_path, model))
    outcome = loop.run([{"role": "user", "content": "print 42"}], ACT_ALL, max_turns)
    return model, outcome


def test_a_repeated_failure_is_not_run_again_and_resamples(tmp_path):
    model, outcome = _run(tmp_path, [BROKEN, BROKEN, FIXED, ANSWER])
    assert outcome.ok and outcome.value == "42"
    # the broken code ran once: the second copy was answered from the first run
    scripts = sorted(p.name for p in (tmp_path / ".skvm").iterdir())
    assert len(scripts) == 2, scripts
    second = outcome.turns[1].result
    assert second.startswith("error: you already did exactly this") and "NameError" in second
    # the turn after a repeat samples warmer; the others at the loop's temperature
    assert [c.temperature for c in model.calls] == [0.0, 0.0, RepeatGuard.RESAMPLE_TEMPERATURE,
                                                     0.0]


def test_a_repeated_action_is_not_put_in_the_history_twice(tmp_path):
    """The turn after a repeat shows the action once: the notice follows the observation of
    its first run, instead of a second copy of the turn for the model to continue."""
    model, outcome = _run(tmp_path, [BROKEN, BROKEN, FIXED, ANSWER])
    assert outcome.ok
    after_repeat = model.calls[2].messages
    said = [m["content"] for m in after_repeat if m["role"] == "assistant"]
    assert said == [BROKEN]
    last = after_repeat[-1]
    assert last["role"] == "user" and "NameError" in last["content"]
    assert last["content"].index("NameError") < last["content"].index(
        "error: you already did exactly this")
    # the turn after that is appended as usual: the fix, then its observation
    after_fix = model.calls[3].messages
    assert [m["content"] for m in after_fix if m["role"] == "assistant"] == [BROKEN, FIXED]
    assert after_fix[-1]["content"] == "exit code 0\nstdout:\n42\n"


def test_the_step_ends_after_two_repeats_in_a_row(tmp_path):
    model, outcome = _run(tmp_path, [BROKEN] * 8)
    assert not outcome.ok
    assert outcome.error == "the model repeated the same action 2 times in a row"
    assert len(model.calls) == 3  # the first run and two repeats, not the 8-turn budget


def test_a_repeated_success_runs_again_and_same_output_counts_as_a_repeat(tmp_path):
    # rerunning a command that worked may be deliberate (the files changed): it runs, but the
    # same output again is not shown again, and two in a row end the step
    model, outcome = _run(tmp_path, [FIXED] * 8)
    assert len(list((tmp_path / ".skvm").iterdir())) == 3  # every copy ran
    assert outcome.turns[0].result.startswith("exit code 0")
    assert outcome.turns[1].result.startswith("error: you did exactly this before and got "
                                              "the same result")
    assert not outcome.ok and "repeated the same action 2 times" in outcome.error


def test_a_rerun_with_new_output_is_shown(tmp_path):
    count = json.dumps({"action": "exec", "language": "python",
                        "code": "import os\nprint(len(os.listdir('.')))"})
    touch = json.dumps({"action": "write", "path": "new.txt", "content": "x"})
    model, outcome = _run(tmp_path, [count, touch, count, ANSWER])
    assert outcome.ok
    assert outcome.turns[2].result.startswith("exit code 0")  # the file count changed


def test_failure_is_read_from_the_observation():
    assert failed("exit code 1\nstderr:\nboom")
    assert failed("error: no such file")
    assert not failed("exit code 0\nstdout:\n42")
    assert not failed("wrote a.txt; it now holds: 2")


READ = json.dumps({"action": "read", "path": "data.txt"})


def test_rereading_an_unchanged_file_is_not_shown_again(tmp_path):
    (tmp_path / "data.txt").write_text("x" * 300, encoding="utf-8")
    model, outcome = _run(tmp_path, [READ, READ, ANSWER])
    assert outcome.ok
    assert outcome.turns[0].result.startswith("x" * 300)
    assert outcome.turns[1].result.startswith("error: you already read data.txt, and it has "
                                              "not changed")
    # the second copy of the content never reached the model
    last_prompt = model.calls[2].messages
    assert sum(m["content"].count("x" * 300) for m in last_prompt) == 1


def test_rereading_a_changed_file_shows_it(tmp_path):
    (tmp_path / "data.txt").write_text("one", encoding="utf-8")
    write = json.dumps({"action": "write", "path": "data.txt", "content": "two"})
    model, outcome = _run(tmp_path, [READ, write, READ, ANSWER])
    assert outcome.ok and outcome.turns[2].result == "two"


def test_endless_rereads_end_the_step(tmp_path):
    (tmp_path / "data.txt").write_text("same", encoding="utf-8")
    model, outcome = _run(tmp_path, [READ] * 8)
    assert not outcome.ok and "repeated the same action 2 times" in outcome.error
    assert len(model.calls) == 3


def test_a_long_failed_observation_keeps_its_last_line_in_the_trace(tmp_path):
    code = ("import sys\nsys.stderr.write('x' * 2000 + '\\nValueError: the real reason')\n"
            "sys.exit(1)")
    failing = json.dumps({"action": "exec", "language": "python", "code": code})
    model, outcome = _run(tmp_path, [failing, ANSWER])
    result = outcome.turns[0].result
    assert len(result) < 600 and result.endswith("ValueError: the real reason")
    assert result.startswith("exit code 1") and "more] ..." in result


def test_the_same_write_again_says_the_file_holds_it_already(tmp_path):
    write = json.dumps({"action": "write", "path": "t.txt", "content": "42"})
    model, outcome = _run(tmp_path, [write, write, ANSWER])
    assert outcome.ok
    assert outcome.turns[1].result == ("t.txt already holds exactly this: nothing changed. If "
                                       "the task is done, answer; otherwise do its next step.")


def test_one_line_code_that_cannot_be_split_gets_a_hint(tmp_path):
    from skvmc.vm.agent import ONE_LINE_HINT
    flat = json.dumps({"action": "exec", "language": "python",
                       "code": "x = 1 print({x)"})  # an unclosed brace: no split compiles
    model, outcome = _run(tmp_path, [flat, BROKEN, ANSWER])
    assert outcome.turns[0].result.endswith(ONE_LINE_HINT)
    assert "\\n between lines" in ONE_LINE_HINT
    assert ONE_LINE_HINT not in outcome.turns[1].result  # a NameError is not a layout problem


def test_one_line_code_runs_split_into_statements(tmp_path):
    flat = json.dumps({"action": "exec", "language": "python",
                       "code": "n = 0 for x in [1, 2, 3]: if x > 1: n += x print(n)"})
    model, outcome = _run(tmp_path, [flat, ANSWER])
    result = outcome.turns[0].result
    assert result.startswith("exit code 0\nnote: your code was on one line")
    assert "for x in [1, 2, 3]:\n    if x > 1:\n        n += x\nprint(n)" in result
    assert result.rstrip().endswith("stdout:\n5")  # print ran once, after the loop


def test_a_command_line_sent_as_python_runs_as_a_command(tmp_path):
    (tmp_path / "hello.py").write_text("print('hi from the script')\n")
    line = json.dumps({"action": "exec", "language": "python", "code": "python3 hello.py"})
    model, outcome = _run(tmp_path, [line, ANSWER])
    result = outcome.turns[0].result
    assert result.startswith("exit code 0\nnote: that was a command line, not Python")
    assert "hi from the script" in result


def test_raw_newlines_inside_a_json_string_still_parse():
    from skvmc.vm.agent import parse_action
    text = '{"action": "write", "path": "r.md", "content": "# R\n\n- a\n"}'.replace("\\n", "\n")
    assert "\n" in text  # the reply holds real newlines inside the string
    assert parse_action(text) == {"action": "write", "path": "r.md", "content": "# R\n\n- a\n"}


def test_a_cut_off_action_is_not_taken_as_the_answer(tmp_path):
    from skvmc.models.base import rough_token_count
    cut = '{"action": "exec", "language": "python", "code": "import csv\\nrows = ['
    budget = rough_token_count(cut)  # the reply used the whole budget: it was cut off
    for max_tokens, expected in ((budget, f"error: your reply was cut off at {budget} tokens"),
                                 (budget + 100, "error: your reply is not one complete JSON")):
        model = ScriptedModel([cut, ANSWER])
        loop = AgentLoop(SandboxHost(tmp_path, model), max_tokens=max_tokens)
        outcome = loop.run([{"role": "user", "content": "print 42"}], ACT_ALL, 4)
        assert outcome.ok and outcome.value == "42"  # the broken reply did not end the step
        assert outcome.turns[0].action is None
        assert outcome.turns[0].result.startswith(expected)


def test_an_option_and_its_value_in_one_argv_item_run_as_two(tmp_path):
    (tmp_path / "echo_args.py").write_text("import sys\nprint(sys.argv[1:])\n")
    act = json.dumps({"action": "exec", "argv": ["python3 echo_args.py", "--out s.json"]})
    model, outcome = _run(tmp_path, [act, ANSWER])
    result = outcome.turns[0].result
    assert result.startswith('exit code 0\nnote: ran as ["python3", "echo_args.py", "--out", '
                             '"s.json"]')
    assert "['--out', 's.json']" in result


def test_a_command_line_in_one_string_with_a_pipe_is_refused(tmp_path):
    act = json.dumps({"action": "exec", "argv": ["cat a.txt | wc -l"]})
    model, outcome = _run(tmp_path, [act, ANSWER])
    assert outcome.turns[0].result.startswith("error: argv is run without a shell")
    literal = json.dumps({"action": "exec", "argv": ["echo", "|"]})  # a literal bar is fine
    model, outcome = _run(tmp_path, [literal, ANSWER])
    assert outcome.turns[0].result.startswith("exit code 0")


def test_three_replies_without_an_action_end_the_step_and_stay_short_in_the_history(tmp_path):
    degenerate = '{"action": "exec", "language": "python", "code": "' + "\\b" * 2000
    model, outcome = _run(tmp_path, [degenerate] * 8)
    assert not outcome.ok and len(outcome.turns) == 3
    assert outcome.error == ("the model sent no valid action 3 times in a row (cut off, or "
                             "not one JSON object)")
    # the second and third calls saw the broken reply cut to its head, not all of it
    kept = [m["content"] for m in model.calls[2].messages if m["role"] == "assistant"]
    assert len(kept) == 2 and all(len(k) < 400 for k in kept)
    assert kept[0].startswith('{"action": "exec"') and "more]" in kept[0]
    # each retry after a broken reply samples warmer
    assert [c.temperature for c in model.calls] == [0.0] + [RepeatGuard.RESAMPLE_TEMPERATURE] * 2


def test_a_valid_action_resets_the_count_of_broken_replies(tmp_path):
    broken = '{"action": "exec", "code": '
    model, outcome = _run(tmp_path, [broken, broken, FIXED, broken, broken, ANSWER])
    assert outcome.ok and outcome.value == "42"


def test_a_script_that_is_not_there_is_not_run_and_the_files_are_listed(tmp_path):
    (tmp_path / "signups.csv").write_text("email\na@x\n")
    act = json.dumps({"action": "exec", "argv": ["python", "count_unique.py"]})
    model, outcome = _run(tmp_path, [act, ANSWER])
    assert outcome.turns[0].result == (
        "error: there is no file count_unique.py here, so nothing ran. The working directory "
        'holds: signups.csv. To run code of your own, send {"action": "exec", "language": '
        '"python", "code": "..."}.')
    assert failed(outcome.turns[0].result)


def test_a_write_echoes_a_short_file_and_gives_no_character_count():
    from skvmc.vm.agent import wrote_observation
    assert wrote_observation("n.txt", "12\n") == "wrote n.txt; it now holds: 12"
    assert wrote_observation("r.md", "# R\n\n- a\n") == "wrote r.md (3 lines)"
    assert wrote_observation("big.txt", "x" * 500) == "wrote big.txt (1 lines)"


def test_a_compiled_step_sees_the_head_of_each_file_a_command_wrote(tmp_path):
    (tmp_path / "old.txt").write_text("unchanged", encoding="utf-8")
    code = ("import json\njson.dump({'requests': 320, 'top': [['/a', 9]]}, open('s.json', 'w'))\n"
            "open('big.txt', 'w').write('x' * 1000)\nopen('b.bin', 'wb').write(b'\\0\\1')\n")
    write = json.dumps({"action": "exec", "language": "python", "code": code})
    model = ScriptedModel([write, ANSWER])
    loop = AgentLoop(SandboxHost(tmp_path, model), file_views=True)
    loop.run([{"role": "user", "content": "go"}], ACT_ALL, 4)
    seen = model.calls[1].messages[-1]["content"]  # what the model was shown
    assert seen.splitlines()[:5] == [
        "exit code 0", "files the command wrote:", "- b.bin (2 bytes, not text)",
        f'- big.txt (1000 bytes): "{"x" * 400}" ...',
        '- s.json (37 bytes): "{\\"requests\\": 320, \\"top\\": [[\\"/a\\", 9]]}"']
    assert "old.txt" not in seen  # not changed by the command
    # the baseline loop (a harness stand-in) shows no such list
    model = ScriptedModel([write, ANSWER])
    AgentLoop(SandboxHost(tmp_path, model)).run([{"role": "user", "content": "go"}], ACT_ALL, 4)
    assert "files the command wrote" not in model.calls[1].messages[-1]["content"]


def test_a_compiled_step_reads_a_big_file_as_its_head(tmp_path):
    log = "".join(f"10.0.0.{i} GET /p{i} 200\n" for i in range(400))
    (tmp_path / "access.log").write_text(log, encoding="utf-8")
    (tmp_path / "small.txt").write_text("a\nb\n", encoding="utf-8")
    reads = [json.dumps({"action": "read", "path": p}) for p in ("access.log", "small.txt")]
    model = ScriptedModel(reads + [ANSWER])
    AgentLoop(SandboxHost(tmp_path, model), file_views=True).run(
        [{"role": "user", "content": "go"}], ACT_ALL, 4)
    big = model.calls[1].messages[-1]["content"]
    assert big.splitlines()[:15] == log.splitlines()[:15]
    assert big.splitlines()[15] == (
        f"... [{len(log):,} characters, 400 lines in all; only the first 15 are shown. Work "
        "on the whole file with code (exec), or with the skill's scripts if it ships some.]")
    assert model.calls[2].messages[-1]["content"] == "a\nb\n"  # a short file is shown whole
    # the baseline loop reads the same file up to its plain cap
    model = ScriptedModel(reads[:1] + [ANSWER])
    AgentLoop(SandboxHost(tmp_path, model)).run([{"role": "user", "content": "go"}], ACT_ALL, 4)
    assert model.calls[1].messages[-1]["content"].startswith(log[:4000] + "\n... [")


def test_a_compiled_step_reads_a_long_task_file_as_its_head_but_a_skill_file_whole(tmp_path):
    from skvmc.vm.agent import DATA_WHOLE_LINES
    work, skill = tmp_path / "work", tmp_path / "skill"
    work.mkdir()
    (skill / "references").mkdir(parents=True)
    rows = "".join(f"2024-03-05T09:{i:02d}:00Z ERROR [api] e{i}\n"
                   for i in range(DATA_WHOLE_LINES + 1))
    assert len(rows) < 4000  # under the character cap: only its line count makes it data
    (work / "app.log").write_text(rows, encoding="utf-8")
    (work / "short.log").write_text("".join(rows.splitlines(True)[:DATA_WHOLE_LINES]))
    guide = str(skill / "references" / "guide.md")
    (skill / "references" / "guide.md").write_text(rows, encoding="utf-8")
    reads = [json.dumps({"action": "read", "path": p}) for p in ("app.log", "short.log", guide)]
    model = ScriptedModel(reads + [ANSWER])
    AgentLoop(SandboxHost(work, model, skill_dir=str(skill)), file_views=True).run(
        [{"role": "user", "content": "go"}], ACT_ALL, 5)
    seen = [c.messages[-1]["content"] for c in model.calls[1:]]
    assert seen[0].splitlines()[:15] == rows.splitlines()[:15]
    assert seen[0].splitlines()[15].startswith(
        f"... [{len(rows):,} characters, {DATA_WHOLE_LINES + 1} lines in all; only the first 15")
    assert seen[1] == "".join(rows.splitlines(True)[:DATA_WHOLE_LINES])  # at the limit: whole
    assert seen[2] == rows  # the skill's own file is an instruction: whole
    # the baseline loop (a harness stand-in) shows the task file whole
    model = ScriptedModel(reads[:1] + [ANSWER])
    AgentLoop(SandboxHost(work, model)).run([{"role": "user", "content": "go"}], ACT_ALL, 4)
    assert model.calls[1].messages[-1]["content"] == rows


def test_a_compiled_step_keeps_earlier_observations_as_head_and_tail(tmp_path):
    from skvmc.vm.agent import EARLIER_OBSERVATION_KEPT
    big = "".join(f"line {i:04d} " + "x" * 40 + "\n" for i in range(30))  # 30 lines, 1,560 chars
    (tmp_path / "notes.txt").write_text(big, encoding="utf-8")
    read = json.dumps({"action": "read", "path": "notes.txt"})
    first = [{"role": "user", "content": "go"}]
    model = ScriptedModel([read, FIXED, FIXED.replace("41", "40"), ANSWER])
    AgentLoop(SandboxHost(tmp_path, model), file_views=True).run(first, ACT_ALL, 6)
    assert model.calls[1].messages[-1]["content"] == big  # the latest observation: whole
    earlier = model.calls[2].messages[2]["content"]  # one turn later: cut
    assert len(earlier) < EARLIER_OBSERVATION_KEPT + 80
    assert earlier.startswith(big[:EARLIER_OBSERVATION_KEPT * 3 // 5])
    assert earlier.endswith(big[-(EARLIER_OBSERVATION_KEPT * 2 // 5):])
    assert "characters of this earlier output left out" in earlier
    assert model.calls[3].messages[2]["content"] == earlier  # cut once, then stable
    assert model.calls[3].messages[4]["content"].startswith("exit code 0")  # short: as it was
    assert first == [{"role": "user", "content": "go"}]  # the caller's list is not changed
    # the baseline loop keeps every observation whole
    model = ScriptedModel([read, FIXED, ANSWER])
    AgentLoop(SandboxHost(tmp_path, model)).run([{"role": "user", "content": "go"}], ACT_ALL, 4)
    assert model.calls[2].messages[2]["content"] == big


def test_a_compiled_step_does_not_end_on_its_first_error_report(tmp_path):
    give_up = json.dumps({"action": "answer", "answer": {"error": "File not found"}})
    model = ScriptedModel([BROKEN, give_up, FIXED, ANSWER])
    outcome = AgentLoop(SandboxHost(tmp_path, model), refuse_give_up=True).run(
        [{"role": "user", "content": "print 42"}], ACT_ALL, 8)
    assert outcome.ok and outcome.value == "42"
    assert model.calls[2].messages[-1]["content"].startswith(
        "error: an answer that reports an error does not finish the step")
    # a second error report is taken as the answer: the step is not held for ever
    model = ScriptedModel([give_up, give_up])
    outcome = AgentLoop(SandboxHost(tmp_path, model), refuse_give_up=True).run(
        [{"role": "user", "content": "go"}], ACT_ALL, 8)
    assert outcome.ok and outcome.value == {"error": "File not found"}
    # the baseline loop (a harness stand-in) takes the first one
    model = ScriptedModel([give_up])
    outcome = AgentLoop(SandboxHost(tmp_path, model)).run(
        [{"role": "user", "content": "go"}], ACT_ALL, 8)
    assert outcome.ok and len(model.calls) == 1


def test_error_reports():
    from skvmc.vm.agent import error_report
    assert error_report({"error": "File not found"})
    assert error_report("Error: cannot parse the log")
    assert not error_report({"error": "x", "count": 3})  # a result that carries an error field
    assert not error_report("errors: 3")                  # an answer about errors
    assert not error_report({"errors": 3})
    assert not error_report(42)

