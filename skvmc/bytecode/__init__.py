"""skvmc bytecode: the ``.skbc`` binary format and its ``.skasm`` text (docs/bytecode.md)."""

from skvmc.bytecode.asm import AsmError, assemble, disassemble
from skvmc.bytecode.binary import decode, encode
from skvmc.bytecode.isa import (
    ACT_ALL,
    ACT_EXEC,
    ACT_READ,
    ACT_WRITE,
    BY_MNEMONIC,
    BY_OPCODE,
    INSTRUCTIONS,
    InstrDef,
)
from skvmc.bytecode.program import (
    FORMAT_VERSION,
    BytecodeError,
    Const,
    Instr,
    Json,
    Label,
    Program,
    ProgramBuilder,
    Slot,
)


def load(path) -> Program:
    """Read and decode a ``.skbc`` file (OSError for a missing file, BytecodeError if bad)."""
    with open(path, "rb") as fh:
        return decode(fh.read())


def save(program: Program, path) -> None:
    with open(path, "wb") as fh:
        fh.write(encode(program))


__all__ = [
    "ACT_ALL", "ACT_EXEC", "ACT_READ", "ACT_WRITE", "BY_MNEMONIC", "BY_OPCODE", "FORMAT_VERSION",
    "INSTRUCTIONS", "AsmError", "BytecodeError", "Const", "Instr", "InstrDef", "Json", "Label",
    "Program", "ProgramBuilder", "Slot", "assemble", "decode", "disassemble", "encode", "load",
    "save",
]
