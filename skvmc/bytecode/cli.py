"""``skvmc asm``: assemble ``.skasm`` to ``.skbc``, or disassemble ``.skbc`` to ``.skasm``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="skvmc asm", description=__doc__)
    ap.add_argument("input", help="a .skasm file (assembled) or a .skbc file (disassembled)")
    ap.add_argument("-o", "--output", help="output path (default: stdout for disassembly, "
                                           "INPUT with .skbc for assembly)")
    try:
        args = ap.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)

    from skvmc.bytecode import AsmError, BytecodeError, assemble, decode, disassemble, encode

    src = Path(args.input)
    try:
        data = src.read_bytes()
    except OSError as exc:
        print(f"skvmc asm: error: cannot read {src}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        if data[:4] == b"SKBC" or src.suffix == ".skbc":
            text = disassemble(decode(data))
            if args.output:
                Path(args.output).write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
        else:
            program = assemble(data.decode("utf-8", "replace"), file=str(src))
            out = Path(args.output) if args.output else src.with_suffix(".skbc")
            out.write_bytes(encode(program))
    except AsmError as exc:
        print(exc, file=sys.stderr)
        return 1
    except BytecodeError as exc:
        print(f"skvmc asm: error: {src}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"skvmc asm: error: cannot write output: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
