"""One test per class of hostile input to the readers behind every entry point (IR text,
bytecode, .skasm, JSON profiles/descriptors/overlays): a located diagnostic, never a traceback."""

from __future__ import annotations

import json
import os
import struct
import zlib

import pytest

from skvmc import cli, safejson
from skvmc.bytecode import AsmError, BytecodeError, ProgramBuilder, assemble, binary, decode, encode
from skvmc.diagnostics import CompileError, DiagnosticEngine
from skvmc.irparse import parse_module

MODULE = '"builtin.module"() {{a = {}}} : () -> ()\n'


def _ir_error(text: str) -> str:
    diags = DiagnosticEngine()
    with pytest.raises(CompileError):
        parse_module(text, "x.skir", diags)
    return diags.render_all()


@pytest.mark.parametrize("value,message", [
    ('"\\q"', "x.skir:1:25: error: bad string literal: Invalid \\escape"),
    ('"\\ud800"', "x.skir:1:25: error: bad string literal: not UTF-8 text"),
    ("9" * 5000, "x.skir:1:25: error: integer of 5000 digits (at most 1000)"),
    ("1.0e999", "x.skir:1:25: error: float 1.0e999 is out of range"),
    ("[" * 1000 + "]" * 1000, "x.skir:1:280: error: IR nested deeper than 256 levels"),
])
def test_ir_parser_bounds(value, message):
    assert _ir_error(MODULE.format(value)).splitlines()[0] == message


def test_ir_depth_inside_strings_does_not_count():
    module = parse_module(MODULE.format(json.dumps("[" * 1000)), "x.skir")
    assert module.attr("a") == "[" * 1000


def test_opt_cli_on_bad_ir(tmp_path, capsys):
    path = tmp_path / "bad.skir"
    path.write_bytes(b"\xff\xfe not text")
    assert cli.main(["opt", str(path)]) == 1
    assert "bad.skir: error: cannot read" in capsys.readouterr().err
    path.write_text(MODULE.format("[" * 1000 + "]" * 1000))
    assert cli.main(["opt", str(path)]) == 1
    err = capsys.readouterr().err
    assert "nested deeper than 256" in err and "Traceback" not in err


# -- bytecode -----------------------------------------------------------------------------------

def _craft(meta: str, consts: bytes = b"\x00") -> bytes:
    """A .skbc file with the given META text and CNST payload and a valid CRC."""
    out = bytearray(b"SKBC") + struct.pack("<HHI", 1, 0, 0)
    m = bytearray()
    binary._string(m, meta)
    for tag, payload in zip(binary.SECTIONS, [m, consts, b"\x00", b"\x00", b"\x00\x00"]):
        out += tag + struct.pack("<I", len(payload)) + bytes(payload)
    out += binary.TRAILER + struct.pack("<I", zlib.crc32(out))
    return bytes(out)


def _json_const(text: str) -> bytes:
    c = bytearray(b"\x01\x02")
    binary._string(c, text)
    return bytes(c)


@pytest.mark.parametrize("meta", ["[" * 5000 + "]" * 5000, '{"a": ' + "1" * 5000 + "}",
                                  '{"a": NaN}', "{" * 200 + "}" * 200])
def test_decode_crafted_meta(meta):
    with pytest.raises(BytecodeError) as exc:
        decode(_craft(meta))
    assert "metadata is not JSON" in str(exc.value) and exc.value.offset == 20


@pytest.mark.parametrize("const", ["[" * 5000 + "]" * 5000, "1" * 5000, "Infinity"])
def test_decode_crafted_json_constant(const):
    with pytest.raises(BytecodeError) as exc:
        decode(_craft("{}", _json_const(const)))
    assert "constant 0 is not JSON" in str(exc.value)


def test_decode_valid_crafted_file():
    assert decode(_craft('{"skill": "x"}')).meta == {"skill": "x"}


@pytest.mark.parametrize("code", [256, -1, 1 << 40])
def test_halt_out_of_range(code):
    with pytest.raises(AsmError) as exc:
        assemble(f".skbc 1 0\n    halt {code}\n", "x.skasm")
    assert str(exc.value).startswith("x.skasm:2:5: error: halt exit code")
    b = ProgramBuilder({"skill": "x"})
    b.emit("halt", code)
    with pytest.raises(BytecodeError, match="out of range 0..255"):
        b.build()
    # a crafted file: valid encoding of halt 256 except for the range check
    good = ProgramBuilder({"skill": "x"})
    good.emit("halt", 1)
    data = bytearray(encode(good.build()))
    at = data.index(b"CODE") + 8
    assert data[at:at + 3] == b"\x01\x01\x02"  # 1 instruction, opcode 1, zigzag(1)
    patched = data[:at + 2] + b"\x80\x04" + data[at + 3:]  # zigzag(256) = 512
    patched[at - 4:at] = struct.pack("<I", struct.unpack("<I", data[at - 4:at])[0] + 1)
    patched = patched[:-4] + struct.pack("<I", zlib.crc32(patched[:-4]))
    with pytest.raises(BytecodeError, match="exit code 256 is out of range"):
        decode(bytes(patched))
    assert assemble(".skbc 1 0\n    halt 255\n").code[0].operands == (255,)


def test_asm_deep_and_huge_literals():
    with pytest.raises(AsmError, match="nested deeper than 128"):
        assemble(".skbc 1 0\n.meta " + "[" * 300 + "]" * 300 + "\n    halt 0\n", "x.skasm")
    with pytest.raises(AsmError, match="out of range"):
        assemble(".skbc 1 0\n    halt " + "9" * 5000 + "\n", "x.skasm")


# -- JSON files ----------------------------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("[" * 3000 + "]" * 3000, "nested deeper than 64 levels"),
    ('{"a": ' + "1" * 5000 + "}", "Exceeds the limit"),
    ('{"a": NaN}', "NaN is not JSON"),
    ("{", "Expecting property name"),
])
def test_safejson(text, message):
    with pytest.raises(ValueError) as exc:
        safejson.loads(text)
    assert message in exc.value.msg


def test_read_json_special_files(tmp_path):
    from skvmc.targets.jsonload import read_json

    fifo = tmp_path / "p.json"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero", tmp_path / "missing.json"):
        diags = DiagnosticEngine()
        assert read_json(path, diags) is None
        assert diags.has_errors and "cannot read" in diags.render_all()


def test_bad_files_on_profile_path_are_skipped_with_warnings(tmp_path, capsys, monkeypatch):
    from conftest import REPO

    (tmp_path / "a.json").write_text("[[[[")
    (tmp_path / "b.json").write_text("[" * 3000 + "]" * 3000)
    (tmp_path / "c.json").write_text('{"model": ' + "1" * 5000 + "}")
    (tmp_path / "d.json").write_bytes(b"\xff\xfe")
    os.mkfifo(tmp_path / "e.json")
    monkeypatch.setenv("SKVMC_PROFILE_PATH", str(tmp_path))
    code = cli.main([str(REPO / "examples" / "csv-summary"), "--target=qwen-7b+openhands",
                     "--emit=report"])
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["skill"] == "csv-summary"
    assert "Traceback" not in err
    assert err.count("warning: skipping invalid profile") == 5
    assert "b.json:1:65: warning" in err


def test_overlay_dev_zero_is_an_error(tmp_path):
    from conftest import REPO

    from skvmc.compile import compile_skill

    with pytest.raises(CompileError, match="cannot read overlay: the overlay is not a regular"):
        compile_skill(REPO / "examples" / "csv-summary", "qwen-7b+openhands", overlay="/dev/zero")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 3000 + "]" * 3000)
    with pytest.raises(CompileError, match="nested deeper"):
        compile_skill(REPO / "examples" / "csv-summary", "qwen-7b+openhands", overlay=str(deep))


def test_cli_safety_net(monkeypatch, capsys):
    import skvmc.driver

    def boom(argv):
        raise RecursionError("deep")

    monkeypatch.setattr(skvmc.driver, "compile_main", boom)
    assert cli.main(["x"]) == 1
    assert "input is nested too deeply" in capsys.readouterr().err


def test_python_fence_too_deep_for_pythons_parser_is_just_unparseable(tmp_path):
    """Python's parser raises MemoryError (not SyntaxError) on ~200 nested brackets; the
    fuzz campaign found it (bench/results/fuzz-failures-memoryerror.txt)."""
    from skvmc.compile import CompileOptions, compile
    from skvmc.passes.analysis.pydeps import parse_python

    body = "x = " + "[" * 400 + "]" * 400 + "\nimport requests\n"
    assert parse_python(body) is None
    (tmp_path / "SKILL.md").write_text(
        "---\nname: deep\ndescription: d\n---\n\nRun this:\n\n```python\n" + body + "```\n",
        encoding="utf-8")
    files = compile(str(tmp_path), "qwen-7b+openhands", CompileOptions()).files
    assert "requests" in files["env-setup.sh"].decode()  # the regex fallback still finds it
