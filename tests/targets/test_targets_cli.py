"""`skvmc targets` output."""

import json

from skvmc.targets.cli import main


def test_listing_text_snapshot(capsys, snapshot):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "qwen-7b" in out and "ollama/qwen2.5:7b" in out
    assert out == snapshot


def test_show_text_snapshot(capsys, snapshot):
    assert main(["--show", "qwen-7b+aider"]) == 0
    out = capsys.readouterr().out
    assert "tool.exec" in out
    rows = [line for line in out.splitlines() if line.startswith("  ") and "." in line.split()[0]]
    assert len(rows) == 26
    assert out == snapshot


def test_show_json_has_26_levels_with_sources(capsys):
    assert main(["--json", "--show", "opus+aider"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["levels"]) == 26
    assert data["levels"]["tool.exec"] == {"level": "L0", "source": "harness cap"}
    assert data["levels"]["gen.code.python"]["source"] == "model"


def test_listing_json(capsys):
    assert main(["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    smol = next(m for m in data["models"] if m["alias"] == "smollm2")
    assert smol["profileStatus"] == "measured"  # by `skvmc profile --model smollm2`
    qwen7 = next(m for m in data["models"] if m["alias"] == "qwen-7b")
    assert qwen7["profileStatus"] != "measured"  # derived from qwen3.5-9b, says so
    aider = next(h for h in data["harnesses"] if h["name"] == "aider")
    assert aider["caps"]["tool.exec"] == "L0"


def test_unknown_target_exits_2_with_suggestion(capsys):
    assert main(["--show", "qwen7b+openhand"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'qwen-7b'" in err and "did you mean 'openhands'" in err


def test_help_exits_0(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "--show" in capsys.readouterr().out
