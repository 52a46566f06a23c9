"""The .skbc format and the .skasm text: round trips, errors, a property test, a snapshot."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from skvmc.bytecode import (
    ACT_ALL,
    INSTRUCTIONS,
    AsmError,
    BytecodeError,
    Const,
    Instr,
    Json,
    Program,
    ProgramBuilder,
    Slot,
    assemble,
    decode,
    disassemble,
    encode,
)


def sample_program() -> Program:
    b = ProgramBuilder({"skill": "demo", "target": "smollm2+vm", "source_hash": "ab12"})
    done, b1, b2, join = b.label(), b.label(), b.label(), b.label()
    b.emit("setstep", 1, "Compute the total", line=("SKILL.md", 5))
    b.emit("ask", "Compute the sum", "out", Json({"type": "object"}), ACT_ALL, 4, 2,
           line=("SKILL.md", 6))
    b.emit("check.slot", "out", {"type": "object"}, "retry")
    b.emit("exec", ["echo", b.slot("out"), "x"], "res")
    b.emit("check.exit", 0, done)
    b.emit("fork", "collect", join, [b1, b2], line=("SKILL.md", 8))
    b.place(b1)
    b.emit("endbranch", 1)
    b.place(b2)
    b.emit("endbranch", b.slot("res"))
    b.place(join)
    b.emit("join", "results")
    b.place(done)
    b.emit("halt", 0, line=("SKILL.md", 9))
    return b.build()


def test_encode_decode_round_trip():
    p = sample_program()
    data = encode(p)
    assert data[:4] == b"SKBC"
    q = decode(data)
    assert q == p
    assert encode(q) == data


def test_builder_dedups_constants_and_resolves_labels():
    p = sample_program()
    kinds = [k for k, _ in p.consts]
    assert kinds.count("json") == 1  # Json({...}) and a plain dict are one constant
    fork = p.code[5]
    assert fork.op == "fork" and fork.operands[1] == 8 and fork.operands[2] == (6, 7)
    assert p.line_of(4) == ("SKILL.md", 6)
    assert p.line_of(8) == ("SKILL.md", 8)


def test_skasm_round_trip_is_byte_identical():
    p = sample_program()
    text = disassemble(p)
    assert encode(assemble(text)) == encode(p)


class SkasmSnapshot(SingleFileSnapshotExtension):
    """One readable ``.skasm`` file per case."""

    _write_mode = WriteMode.TEXT
    file_extension = "skasm"


def test_disassembly_snapshot(snapshot):
    assert disassemble(sample_program()) == snapshot.use_extension(SkasmSnapshot)


def test_hand_written_skasm_with_literals():
    text = """
    ; a hand-written program
    .meta {"skill": "hand"}
    start:
        const $x, "hello"
        exec ["echo", $x, 3], $out
        check.exit 0, @start
        halt 0
    """
    p = assemble(text, file="hand.skasm")
    assert p.slots == ("x", "out")
    assert p.code[1] == Instr("exec", ((Const(1), Slot(0), Const(2)), 1))
    assert p.code[2].operands == (0, 0)
    assert p.meta == {"skill": "hand"}


@pytest.mark.parametrize("text, line, col, fragment", [
    ("halt 0\nfrob 1\n", 2, 1, "unknown instruction 'frob'"),
    ("halt\n", 1, 1, "halt takes 1 operands"),
    ("jump @nowhere\n", 1, 6, "undefined label @nowhere"),
    ("halt 0\n  const $x, #7\n", 2, 13, "constant #7 is not defined"),
    ("halt 0 ,,\n", 1, 9, "unexpected comma"),
    ("halt 0\n  const $x, ?\n", 2, 13, "unexpected character '?'"),
    ("fork maybe, @a, []\na:\nhalt 0\n", 1, 6, "join policy"),
    (".const #3 str \"x\"\n", 1, 8, "expected constant #0 next"),
])
def test_skasm_errors_have_positions(text, line, col, fragment):
    with pytest.raises(AsmError) as info:
        assemble(text, file="bad.skasm")
    msg = str(info.value)
    assert msg.startswith(f"bad.skasm:{line}:{col}: error: "), msg
    assert fragment in msg


# -- corrupted and truncated files ------------------------------------------------------------

def test_bad_magic():
    data = b"XXXX" + encode(sample_program())[4:]
    with pytest.raises(BytecodeError, match=r"bad magic.*offset 0"):
        decode(data)


def test_bad_version():
    data = bytearray(encode(sample_program()))
    data[4:6] = struct.pack("<H", 9)
    with pytest.raises(BytecodeError, match=r"unsupported format version 9\.0.*offset 4"):
        decode(bytes(data))


@pytest.mark.parametrize("cut", [0, 3, 7, 11, 15, 20, 40, 100, -9, -1])
def test_truncated_file_raises_bytecode_error_with_offset(cut):
    data = encode(sample_program())
    with pytest.raises(BytecodeError) as info:
        decode(data[:cut])
    assert info.value.offset is not None
    assert "offset" in str(info.value)


def test_every_single_byte_truncation_is_clean():
    data = encode(sample_program())
    for n in range(len(data)):
        with pytest.raises(BytecodeError):
            decode(data[:n])


def test_every_byte_flip_is_detected():
    data = encode(sample_program())
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0xFF
        with pytest.raises(BytecodeError):
            decode(bytes(bad))


def _program_bytes_with(code_patch):
    """Encode a tiny program, then patch its CODE payload and fix the checksum."""
    import zlib
    p = Program(consts=(("str", "a"),), slots=("x",), code=(Instr("const", (0, 0)),
                                                             Instr("halt", (0,))))
    data = bytearray(encode(p))
    code_at = data.index(b"CODE") + 8
    code_patch(data, code_at)
    body = bytes(data[:-8])
    return body + b"CRC2" + struct.pack("<I", zlib.crc32(body))


def test_out_of_range_constant_index():
    def patch(data, at):
        # payload: count(1) | opcode const | dst slot | value const
        data[at + 3] = 5
    with pytest.raises(BytecodeError, match=r"constant index 5 out of range.*offset"):
        decode(_program_bytes_with(patch))


def test_bad_opcode():
    def patch(data, at):
        data[at + 1] = 0x7E
    with pytest.raises(BytecodeError, match=r"bad opcode 0x7e.*offset"):
        decode(_program_bytes_with(patch))


def test_checksum_mismatch():
    data = bytearray(encode(sample_program()))
    data[data.index(b"Compute the sum")] ^= 0x01  # still valid UTF-8 and structure
    with pytest.raises(BytecodeError, match="checksum"):
        decode(bytes(data))


def test_builder_rejects_bad_operands():
    b = ProgramBuilder()
    with pytest.raises(BytecodeError, match="takes 6 operands"):
        b.emit("ask", "x")
    with pytest.raises(BytecodeError, match="unknown instruction"):
        b.emit("launch")
    b.emit("jump", b.label())
    with pytest.raises(BytecodeError, match="never placed"):
        b.build()


def test_instruction_table_is_consistent():
    assert len({d.opcode for d in INSTRUCTIONS}) == len(INSTRUCTIONS)
    assert {"ask", "exec", "read", "write", "check.exists", "check.exit", "check.slot",
            "check.file", "fork", "join", "jump", "branch", "solid", "setstep",
            "halt"} <= {d.mnemonic for d in INSTRUCTIONS}


# -- property test: random valid programs -----------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=6,
)
const_values = st.text(max_size=20) | st.integers(-2**62, 2**62) | json_values.map(Json)
slot_names = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True)


@st.composite
def programs(draw):
    b = ProgramBuilder({"skill": draw(st.text(max_size=10)), "n": draw(st.integers(0, 9))})
    n = draw(st.integers(1, 12))
    labels = [b.label() for _ in range(n)]
    slots = draw(st.lists(slot_names, min_size=1, max_size=4, unique=True))

    def operand(kind):
        if kind == "slot":
            return draw(st.sampled_from(slots))
        if kind == "const":
            return draw(const_values)
        if kind == "optconst":
            return draw(st.none() | const_values)
        if kind == "val":
            return draw(const_values | st.sampled_from(slots).map(b.slot))
        if kind == "int":
            return draw(st.integers(-2**40, 2**40))
        if kind == "label":
            return draw(st.sampled_from(labels))
        if kind == "target":
            return draw(st.sampled_from(labels) | st.sampled_from(["fail", "retry"]))
        if kind == "labels":
            return draw(st.lists(st.sampled_from(labels), max_size=3))
        if kind == "args":
            return draw(st.lists(const_values | st.sampled_from(slots).map(b.slot), max_size=3))
        if kind == "policy":
            return draw(st.sampled_from(["cancel", "collect"]))
        raise AssertionError(kind)

    for i in range(n):
        b.place(labels[i])
        d = draw(st.sampled_from(INSTRUCTIONS))
        line = draw(st.none() | st.tuples(st.sampled_from(["SKILL.md", "ref/a.md"]),
                                          st.integers(0, 500)))
        ops = [operand(o.kind) for o in d.operands]
        if d.mnemonic == "halt":  # exit codes are 8 bits (out-of-range ones are refused)
            ops[0] = draw(st.integers(0, 255))
        b.emit(d.mnemonic, *ops, line=line)
    return b.build()


@settings(max_examples=150, deadline=None)
@given(programs())
def test_property_round_trips(p):
    data = encode(p)
    assert decode(data) == p
    assert encode(assemble(disassemble(p))) == data


# -- skvmc asm ---------------------------------------------------------------------------------

def test_asm_cli_round_trip(tmp_path, capsys):
    from skvmc.bytecode.cli import main

    src = tmp_path / "p.skasm"
    src.write_text(disassemble(sample_program()))
    assert main([str(src)]) == 0
    assert (tmp_path / "p.skbc").read_bytes() == encode(sample_program())
    assert main([str(tmp_path / "p.skbc")]) == 0
    assert capsys.readouterr().out == disassemble(sample_program())


def test_asm_cli_errors(tmp_path, capsys):
    from skvmc.bytecode.cli import main

    bad = tmp_path / "bad.skasm"
    bad.write_text("halt 0\nfrob\n")
    assert main([str(bad)]) == 1
    assert capsys.readouterr().err.startswith(f"{bad}:2:1: error: unknown instruction")
    assert main([str(tmp_path / "missing.skbc")]) == 2
    (tmp_path / "x.skbc").write_bytes(b"SKBC\x00")
    assert main([str(tmp_path / "x.skbc")]) == 1
    assert "offset" in capsys.readouterr().err
