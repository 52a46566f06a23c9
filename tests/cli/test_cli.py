"""The command line: help everywhere, opt over IR text, and no heavy imports on the hot path."""

import subprocess
import sys

import pytest
from conftest import REPO

from skvmc.cli import SUBCOMMANDS, main

EXAMPLE = str(REPO / "examples" / "csv-summary")


def test_top_level_help_lists_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("opt", "passes", "targets", "run"):
        assert name in out


def test_no_arguments_is_a_usage_error(capsys):
    assert main([]) == 2


@pytest.mark.parametrize("command", ["opt", "passes"])
def test_subcommand_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: skvmc" in capsys.readouterr().out


def test_compile_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help-compile"])
    assert "--emit" in capsys.readouterr().out


def test_passes_lists_canonicalize(capsys):
    assert main(["passes"]) == 0
    assert "canonicalize:" in capsys.readouterr().out


def test_emit_ir_then_opt_over_the_text(tmp_path, capsys):
    assert main([EXAMPLE, "--emit=ir", "--print-debuginfo"]) == 0
    ir_text = capsys.readouterr().out
    path = tmp_path / "skill.skir"
    path.write_text(ir_text)
    assert main(["opt", str(path), "-p", "canonicalize", "--print-debuginfo"]) == 0
    assert capsys.readouterr().out == ir_text  # nothing to canonicalize in this example


def test_verify_each_changes_when_the_ir_is_verified_not_what_is_emitted(tmp_path, capsys):
    """A compile verifies once, after the last pass, unless --verify-each; the artifacts are
    the same bytes either way (verification only reads the module)."""
    outs = {}
    for flag in ("--verify-each", "--no-verify-each"):
        out = tmp_path / flag.strip("-")
        assert main([EXAMPLE, "--target=qwen-7b+openhands", "-o", str(out), flag]) == 0
        outs[flag] = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert outs["--verify-each"] and outs["--verify-each"] == outs["--no-verify-each"]


def test_opt_reports_bad_ir_with_location(tmp_path, capsys):
    path = tmp_path / "bad.skir"
    path.write_text('"builtin.module"() ({\n  "skill.rule"() {x = 1} : () -> ()\n}) : () -> ()\n')
    assert main(["opt", str(path), "-p", "canonicalize"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and f"{path}:2:19: error: 'skill.rule' op unknown attribute 'x'" in err


def test_opt_missing_file_is_a_usage_error(tmp_path, capsys):
    assert main(["opt", str(tmp_path / "none.skir")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_every_subcommand_module_exists():
    import importlib

    for name, (target, _) in SUBCOMMANDS.items():
        module_name, _, func = target.partition(":")
        module = importlib.import_module(module_name)
        assert callable(getattr(module, func)), name


def test_emit_ir_does_not_import_litellm_or_the_vm():
    code = (
        "import sys; from skvmc.cli import main\n"
        f"rc = main([{EXAMPLE!r}, '--emit=ir', '-O'])\n"
        "heavy = [m for m in ('litellm', 'llama_cpp', 'skvmc.vm', 'skvmc.models')\n"
        "         if m in sys.modules]\n"
        "assert rc == 0 and not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
