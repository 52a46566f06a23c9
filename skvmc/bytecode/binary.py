"""``.skbc`` encoding and decoding (layout documented in docs/bytecode.md).

::

    header   "SKBC" | u16 major | u16 minor | u32 flags            (little-endian)
    sections META, CNST, SLOT, CODE, LINE — each: 4-byte tag | u32 length | payload
    trailer  "CRC2" | u32 crc32 of every byte before the trailer

Inside payloads every number is a LEB128 varint (signed ones zigzag-encoded) and every string
is a varint byte length followed by UTF-8. Decoding never lets a struct/Index/Unicode error
escape: every problem is a :class:`BytecodeError` carrying the byte offset.
"""

from __future__ import annotations

import struct
import zlib

from skvmc import safejson
from skvmc.bytecode.isa import BY_MNEMONIC, BY_OPCODE, POLICIES
from skvmc.bytecode.program import (
    FORMAT_VERSION,
    INT,
    JSON,
    STR,
    BytecodeError,
    Const,
    Instr,
    Program,
    Slot,
    canonical_json,
)

MAGIC = b"SKBC"
SECTIONS = (b"META", b"CNST", b"SLOT", b"CODE", b"LINE")
TRAILER = b"CRC2"
CONST_TAGS = {STR: 0, INT: 1, JSON: 2}
CONST_KINDS = {v: k for k, v in CONST_TAGS.items()}
MAX_VARINT_BYTES = 10
JSON_DEPTH = 128  # nesting of META and JSON constants (schemas are a few levels deep)


# -- writing ----------------------------------------------------------------------------------

def _uvarint(out: bytearray, n: int) -> None:
    if n < 0:
        raise BytecodeError(f"cannot encode negative number {n} as unsigned")
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def _svarint(out: bytearray, n: int) -> None:
    _uvarint(out, (n << 1) if n >= 0 else ((-n) << 1) - 1)


def _string(out: bytearray, s: str) -> None:
    data = s.encode("utf-8")
    _uvarint(out, len(data))
    out += data


def _val(out: bytearray, v) -> None:
    _uvarint(out, (v.index << 1) | (1 if isinstance(v, Slot) else 0))


def _operand(out: bytearray, kind: str, v) -> None:
    if kind in ("slot", "const", "label"):
        _uvarint(out, v)
    elif kind == "optconst":
        _uvarint(out, 0 if v is None else v + 1)
    elif kind == "val":
        _val(out, v)
    elif kind == "int":
        _svarint(out, v)
    elif kind == "target":
        _uvarint(out, {"fail": 0, "retry": 1}[v] if isinstance(v, str) else v + 2)
    elif kind == "labels":
        _uvarint(out, len(v))
        for x in v:
            _uvarint(out, x)
    elif kind == "args":
        _uvarint(out, len(v))
        for x in v:
            _val(out, x)
    elif kind == "policy":
        _uvarint(out, POLICIES.index(v))
    else:  # pragma: no cover - the table only holds known kinds
        raise BytecodeError(f"unknown operand kind {kind}")


def encode(program: Program) -> bytes:
    """The ``.skbc`` bytes of ``program`` (validated first); deterministic."""
    program.validate()
    sections: list[bytearray] = []

    meta = bytearray()
    _string(meta, canonical_json(program.meta))
    sections.append(meta)

    consts = bytearray()
    _uvarint(consts, len(program.consts))
    for kind, value in program.consts:
        consts.append(CONST_TAGS[kind])
        if kind == STR:
            _string(consts, value)
        elif kind == INT:
            _svarint(consts, value)
        else:
            _string(consts, canonical_json(value))
    sections.append(consts)

    slots = bytearray()
    _uvarint(slots, len(program.slots))
    for name in program.slots:
        _string(slots, name)
    sections.append(slots)

    code = bytearray()
    _uvarint(code, len(program.code))
    for ins in program.code:
        d = BY_MNEMONIC[ins.op]
        code.append(d.opcode)
        for spec, v in zip(d.operands, ins.operands):
            _operand(code, spec.kind, v)
    sections.append(code)

    # Line table: files are interned in a small local list so each entry is three varints.
    lines = bytearray()
    files: list[str] = []
    for _, file, _ in program.lines:
        if file not in files:
            files.append(file)
    _uvarint(lines, len(files))
    for f in files:
        _string(lines, f)
    _uvarint(lines, len(program.lines))
    prev = -1
    for at, file, line in program.lines:
        _uvarint(lines, at - prev - 1)  # delta; entries strictly increase
        _uvarint(lines, files.index(file))
        _uvarint(lines, line)
        prev = at
    sections.append(lines)

    out = bytearray(MAGIC)
    out += struct.pack("<HHI", program.version[0], program.version[1], program.flags)
    for tag, payload in zip(SECTIONS, sections):
        out += tag + struct.pack("<I", len(payload)) + payload
    out += TRAILER + struct.pack("<I", zlib.crc32(out))
    return bytes(out)


# -- reading ----------------------------------------------------------------------------------

class _Reader:
    def __init__(self, data: bytes, start: int = 0, end: int | None = None, what: str = "file"):
        self.data = data
        self.pos = start
        self.end = len(data) if end is None else end
        self.what = what

    def fail(self, message: str, offset: int | None = None):
        raise BytecodeError(message, self.pos if offset is None else offset)

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > self.end:
            self.fail(f"truncated {self.what}: need {n} bytes for {what}, "
                      f"{self.end - self.pos} left")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def uvarint(self, what: str) -> int:
        start, result, shift = self.pos, 0, 0
        for _ in range(MAX_VARINT_BYTES):
            byte = self.u8(what)
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
        self.fail(f"varint too long for {what}", start)

    def svarint(self, what: str) -> int:
        n = self.uvarint(what)
        return (n >> 1) ^ -(n & 1)

    def string(self, what: str) -> str:
        start = self.pos
        n = self.uvarint(f"length of {what}")
        raw = self.take(n, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.fail(f"{what} is not valid UTF-8", start)

    def count(self, what: str, min_bytes_each: int = 1) -> int:
        start = self.pos
        n = self.uvarint(f"number of {what}")
        if n * min_bytes_each > self.end - self.pos:
            self.fail(f"{what} count {n} exceeds the remaining {self.end - self.pos} bytes", start)
        return n


def decode(data: bytes) -> Program:
    """Parse ``.skbc`` bytes; any malformation raises :class:`BytecodeError` with an offset."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BytecodeError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    r = _Reader(data)
    magic = r.take(4, "magic")
    if magic != MAGIC:
        raise BytecodeError(f"bad magic {magic!r}: not a .skbc file (expected {MAGIC!r})", 0)
    major, minor = struct.unpack("<HH", r.take(4, "version"))
    if major != FORMAT_VERSION[0] or minor > FORMAT_VERSION[1]:
        raise BytecodeError(f"unsupported format version {major}.{minor} (this skvmc reads "
                            f"{FORMAT_VERSION[0]}.0 to {FORMAT_VERSION[0]}.{FORMAT_VERSION[1]})", 4)
    (flags,) = struct.unpack("<I", r.take(4, "flags"))

    bodies = {}
    for tag in SECTIONS:
        at = r.pos
        got = r.take(4, f"{tag.decode()} section tag")
        if got != tag:
            raise BytecodeError(f"expected section {tag.decode()}, found {got!r}", at)
        (length,) = struct.unpack("<I", r.take(4, f"{tag.decode()} section length"))
        if r.pos + length > len(data):
            raise BytecodeError(f"truncated file: section {tag.decode()} declares {length} bytes, "
                                f"{len(data) - r.pos} left", r.pos - 4)
        bodies[tag] = _Reader(data, r.pos, r.pos + length, f"{tag.decode()} section")
        r.pos += length
    crc_at = r.pos
    if r.take(4, "checksum trailer") != TRAILER:
        raise BytecodeError("missing checksum trailer", crc_at)
    (crc,) = struct.unpack("<I", r.take(4, "checksum"))
    if r.pos != len(data):
        raise BytecodeError(f"{len(data) - r.pos} trailing bytes after the checksum", r.pos)

    # META
    m = bodies[b"META"]
    meta_at = m.pos
    try:
        meta = safejson.loads(m.string("metadata"), max_depth=JSON_DEPTH)
    except ValueError as exc:  # bad JSON, too deep, an integer over the digit limit, NaN
        raise BytecodeError(f"metadata is not JSON: {exc.msg}", meta_at) from None
    if not isinstance(meta, dict):
        raise BytecodeError("metadata is not a JSON object", meta_at)
    _done(m)

    # CNST
    c = bodies[b"CNST"]
    consts = []
    for i in range(c.count("constants", 2)):
        at = c.pos
        tag = c.u8(f"tag of constant {i}")
        kind = CONST_KINDS.get(tag)
        if kind is None:
            raise BytecodeError(f"constant {i} has unknown type tag {tag}", at)
        if kind == STR:
            consts.append((STR, c.string(f"constant {i}")))
        elif kind == INT:
            consts.append((INT, c.svarint(f"constant {i}")))
        else:
            text_at = c.pos
            try:
                consts.append((JSON, safejson.loads(c.string(f"constant {i}"),
                                                    max_depth=JSON_DEPTH)))
            except ValueError as exc:
                raise BytecodeError(f"constant {i} is not JSON: {exc.msg}", text_at) from None
    _done(c)

    # SLOT
    s = bodies[b"SLOT"]
    slots = tuple(s.string(f"slot name {i}") for i in range(s.count("slots")))
    _done(s)

    # CODE
    k = bodies[b"CODE"]
    n_code = k.count("instructions")
    code, offsets = [], []
    for i in range(n_code):
        at = k.pos
        offsets.append(at)
        opcode = k.u8(f"opcode of instruction {i}")
        d = BY_OPCODE.get(opcode)
        if d is None:
            raise BytecodeError(f"instruction {i}: bad opcode 0x{opcode:02x}", at)
        ops = tuple(_read_operand(k, spec.kind, f"{d.mnemonic} operand {spec.name}")
                    for spec in d.operands)
        code.append(Instr(d.mnemonic, ops))
    _done(k)

    # LINE
    ln = bodies[b"LINE"]
    files = [ln.string(f"line-table file {i}") for i in range(ln.count("line-table files"))]
    lines, prev = [], -1
    for i in range(ln.count("line-table entries", 3)):
        at = ln.pos
        idx = prev + 1 + ln.uvarint("line-table instruction delta")
        fi = ln.uvarint("line-table file index")
        line = ln.uvarint("line-table line")
        if fi >= len(files):
            raise BytecodeError(f"line-table entry {i}: file index {fi} out of range", at)
        if idx >= n_code:
            raise BytecodeError(f"line-table entry {i}: instruction {idx} out of range", at)
        lines.append((idx, files[fi], line))
        prev = idx
    _done(ln)

    program = Program(meta=meta, consts=tuple(consts), slots=slots, code=tuple(code),
                      lines=tuple(lines), flags=flags, version=(major, minor))
    try:
        program.validate()
    except BytecodeError as exc:
        # Point at the offending instruction when the message names one.
        offset = bodies[b"CODE"].pos
        msg = str(exc)
        if msg.startswith("instruction "):
            try:
                offset = offsets[int(msg.split()[1])]
            except (ValueError, IndexError):
                pass
        raise BytecodeError(msg, offset) from None
    if zlib.crc32(data[:crc_at]) != crc:
        raise BytecodeError("checksum mismatch: the file is corrupted", crc_at)
    return program


def _read_operand(r: _Reader, kind: str, what: str):
    if kind in ("slot", "const", "label"):
        return r.uvarint(what)
    if kind == "optconst":
        n = r.uvarint(what)
        return None if n == 0 else n - 1
    if kind == "val":
        n = r.uvarint(what)
        return Slot(n >> 1) if n & 1 else Const(n >> 1)
    if kind == "int":
        return r.svarint(what)
    if kind == "target":
        n = r.uvarint(what)
        return "fail" if n == 0 else "retry" if n == 1 else n - 2
    if kind == "labels":
        return tuple(r.uvarint(what) for _ in range(r.count(what)))
    if kind == "args":
        out = []
        for _ in range(r.count(what)):
            n = r.uvarint(what)
            out.append(Slot(n >> 1) if n & 1 else Const(n >> 1))
        return tuple(out)
    if kind == "policy":
        at = r.pos
        n = r.uvarint(what)
        if n >= len(POLICIES):
            raise BytecodeError(f"{what}: unknown join policy {n}", at)
        return POLICIES[n]
    raise BytecodeError(f"unknown operand kind {kind}", r.pos)  # pragma: no cover


def _done(r: _Reader) -> None:
    if r.pos != r.end:
        raise BytecodeError(f"{r.end - r.pos} unexpected bytes at the end of the {r.what}", r.pos)
