"""The compile driver: skills in, IR or target artifacts out.

Each skill is parsed once; each target then runs its own pipeline over that module. Output is
produced only after everything succeeded (stdout) or written to a temporary folder renamed into
place at the end (``-o``), so a failed compile leaves nothing partial behind.
"""

from __future__ import annotations

import argparse
import sys

from skvmc.cli import EXIT_ERROR, EXIT_OK, EXIT_USAGE, add_pipeline_args, instrumentation
from skvmc.diagnostics import CompileError, DiagnosticEngine

EMIT_KINDS = ("ir", "prompt", "env", "asm", "bytecode", "report", "dot", "mermaid")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="skvmc",
        description="Compile agent skills. Without --target, prints the skill IR "
                    "(after --pipeline, when given).")
    p.add_argument("skills", nargs="+", metavar="SKILL", help="skill folder or SKILL.md")
    p.add_argument("--target", "-t", metavar="MODEL+HARNESS[,...]",
                   help="compile for these targets (comma-separated), e.g. qwen-7b+openhands")
    p.add_argument("--emit", choices=EMIT_KINDS,
                   help="print one artifact to stdout instead of writing the output folder")
    p.add_argument("-o", "--output", metavar="OUT", help="output folder for compiled artifacts")
    p.add_argument("-p", "--pipeline", metavar="PIPELINE",
                   help="run this pass pipeline instead of the default one")
    p.add_argument("-O", dest="optimize", action="store_true",
                   help="run the default pipeline (implied by --target)")
    p.add_argument("--strict", action="store_true",
                   help="fail when a capability requirement cannot be legalized (full mode)")
    p.add_argument("--explain", action="store_true",
                   help="print requirement, level and evidence per step (after inference)")
    p.add_argument("--report-timings", action="store_true",
                   help="put wall-clock timings into report.json (off: the file is deterministic)")
    p.add_argument("--max-bundle-file-size", type=byte_size, metavar="BYTES",
                   help="skip (with a warning) bundle files larger than this "
                        "(default 10M; suffixes K, M, G)")
    p.add_argument("--max-bundle-size", type=byte_size, metavar="BYTES",
                   help="stop copying bundle files once they total this much (default 100M)")
    add_pipeline_args(p)
    return p


def byte_size(text: str) -> int:
    """'512', '64K', '10M', '1G' -> bytes (argparse type)."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = text.strip().upper().removesuffix("B")
    unit = t[-1:] if t[-1:] in units else ""
    number = t[: len(t) - len(unit)]
    if not number.isdigit() or int(number) <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive size like 512, 64K or 10M, "
                                         f"not {text!r}")
    return int(number) * units[unit]


def run_pipeline(module, pipeline_text: str, args, diags: DiagnosticEngine, ctx=None):
    from skvmc.passmanager import PassContext, PassManager, parse_pipeline

    passes = parse_pipeline(pipeline_text, diags)
    ctx = ctx or PassContext(diags=diags)
    ctx.options.setdefault("explain", getattr(args, "explain", False))
    return PassManager(passes, instrumentation(args)).run(module, ctx), ctx


def compile_main(argv: list[str]) -> int:
    from skvmc.frontend import UsageError
    from skvmc.printer import print_module

    args = build_parser().parse_args(argv)
    diags = DiagnosticEngine(werror=args.werror)
    try:
        if args.target:
            from skvmc.compile import compile_targets

            code = compile_targets(args, diags)
            diags.print()
            return code
        if args.emit not in (None, "ir"):
            print(f"skvmc: error: --emit={args.emit} needs --target", file=sys.stderr)
            return EXIT_USAGE
        outputs = []
        from skvmc.compile import parse_all

        for module in (skill.module for skill in parse_all(args.skills, diags)):
            if args.pipeline or args.optimize:
                from skvmc.passes import default_pipeline

                text = args.pipeline or default_pipeline()
                module, _ = run_pipeline(module, text, args, diags)
            outputs.append(print_module(module, args.print_debuginfo))
        if diags.has_errors:
            raise CompileError("errors")
    except UsageError as err:
        diags.print()
        print(f"skvmc: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except CompileError:
        diags.print()
        return EXIT_ERROR
    diags.print()
    if args.output:
        from skvmc.fsutil import atomic_write_text

        atomic_write_text(args.output, "".join(outputs))
    else:
        sys.stdout.write("".join(outputs))
    return EXIT_OK
