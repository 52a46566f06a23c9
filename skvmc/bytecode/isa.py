"""The instruction set, declared once as data.

Every instruction is a row of :data:`INSTRUCTIONS`: opcode number, mnemonic and the kinds of
its operands. The encoder, decoder, assembler, disassembler and the builder's operand checks
all read this table; adding an instruction is adding a row (and a VM handler).

Operand kinds (Python value in a :class:`~skvmc.bytecode.program.Instr` / binary encoding):

========  ==============================================  =====================================
kind      Python value                                    binary
========  ==============================================  =====================================
slot      ``int`` slot index                              uvarint
const     ``int`` constant-pool index                     uvarint
optconst  ``int`` or ``None``                             uvarint, 0 = none, n+1 = index n
val       :class:`Const` or :class:`Slot`                 uvarint, ``index << 1 | is_slot``
int       ``int`` (signed)                                zigzag varint
label     ``int`` instruction index                       uvarint
target    ``"fail"``, ``"retry"`` or instruction index    uvarint, 0 = fail, 1 = retry, n+2
labels    ``tuple[int, ...]``                             uvarint count, then labels
args      ``tuple[Const | Slot, ...]``                    uvarint count, then vals
policy    ``"cancel"`` or ``"collect"``                   uvarint 0 / 1
========  ==============================================  =====================================
"""

from __future__ import annotations

import attrs

OPERAND_KINDS = (
    "slot", "const", "optconst", "val", "int", "label", "target", "labels", "args", "policy",
)

POLICIES = ("cancel", "collect")
TARGET_WORDS = ("fail", "retry")

# Allowed-actions mask for ASK (the answer action is always allowed).
ACT_EXEC = 1
ACT_READ = 2
ACT_WRITE = 4
ACT_ALL = ACT_EXEC | ACT_READ | ACT_WRITE
ACTION_BITS = {"exec": ACT_EXEC, "read": ACT_READ, "write": ACT_WRITE}


@attrs.frozen(slots=True)
class Operand:
    name: str
    kind: str

    def __attrs_post_init__(self):
        if self.kind not in OPERAND_KINDS:
            raise ValueError(f"unknown operand kind {self.kind!r}")


@attrs.frozen(slots=True)
class InstrDef:
    opcode: int
    mnemonic: str
    operands: tuple[Operand, ...]
    doc: str


def _def(opcode: int, mnemonic: str, signature: str, doc: str) -> InstrDef:
    """``signature`` is ``"name:kind name:kind"``; keeps the table one line per instruction."""
    ops = tuple(Operand(*part.split(":")) for part in signature.split())
    return InstrDef(opcode, mnemonic, ops, doc)


INSTRUCTIONS: tuple[InstrDef, ...] = (
    _def(0x00, "nop", "", "do nothing"),
    _def(0x01, "halt", "code:int", "stop the run; 0 = ok, other values are the exit code"),
    _def(0x02, "setstep", "index:int title:const",
         "the following instructions belong to skill step `index` (title for traces)"),
    _def(0x03, "const", "dst:slot value:const", "dst = constant"),
    _def(0x04, "concat", "dst:slot parts:args", "dst = the parts joined as text"),
    _def(0x05, "ask", "prompt:val out:slot schema:optconst actions:int turns:int retries:int",
         "one skill step by the bounded agent loop; the answer goes to `out`"),
    _def(0x06, "exec", "argv:args out:slot",
         "run argv (no shell) in the workdir; stdout -> out, exit code -> last exit"),
    _def(0x07, "setenv", "name:const value:val",
         "set an environment variable for later exec/solid (parameters go in here or argv)"),
    _def(0x08, "read", "path:val dst:slot", "dst = text of a workdir file"),
    _def(0x09, "write", "path:val src:val", "write text to a workdir file"),
    _def(0x0A, "check.exists", "path:val on_fail:target", "a workdir file exists"),
    _def(0x0B, "check.exit", "code:int on_fail:target", "the last exit code equals code"),
    _def(0x0C, "check.slot", "src:slot schema:const on_fail:target",
         "a slot's value matches a JSON schema"),
    _def(0x0D, "check.file", "path:val schema:const on_fail:target",
         "a workdir file holds JSON matching a schema"),
    _def(0x0E, "jump", "to:label", "continue at label"),
    _def(0x0F, "branch", "cond:slot to:label", "continue at label when the slot is truthy"),
    _def(0x10, "fork", "policy:policy join:label branches:labels",
         "run the branches concurrently, wait, continue at join"),
    _def(0x11, "endbranch", "result:val", "end of a fork branch; result is its value"),
    _def(0x12, "join", "dst:slot", "dst = the last fork's branch results, in branch order"),
    _def(0x13, "solid", "template:const args:args out:slot",
         "run solidified code template `template` with args as argv; stdout -> out"),
    _def(0x14, "fail", "message:val", "fail the current step with a message"),
    _def(0x15, "fact", "text:val",
         "add a fact for the following ASKs of this frame (shown after the task)"),
    _def(0x16, "get", "dst:slot src:slot key:const",
         "dst = field `key` of the JSON object in slot src (none when absent)"),
    _def(0x17, "lasterror", "dst:slot",
         "dst = the message of the last failed check or command in this frame"),
    _def(0x18, "check.outputs", "on_fail:target",
         "every file the task says to write exists in the workdir"),
    _def(0x19, "listdir", "dst:slot",
         "dst = the workdir's files with their sizes (and first line, for small text files)"),
    _def(0x1A, "check.absent", "path:val on_fail:target",
         "a workdir file does not exist yet (a command must not overwrite it)"),
)

BY_OPCODE: dict[int, InstrDef] = {d.opcode: d for d in INSTRUCTIONS}
BY_MNEMONIC: dict[str, InstrDef] = {d.mnemonic: d for d in INSTRUCTIONS}

assert len(BY_OPCODE) == len(INSTRUCTIONS) and len(BY_MNEMONIC) == len(INSTRUCTIONS)
