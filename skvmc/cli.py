"""The ``skvmc`` command line.

    skvmc <skill-dir|SKILL.md>... [--target=MODEL+HARNESS[,..]] [--emit=KIND] [-o OUT]
    skvmc opt <file.skir|skill> -p PIPELINE      the mlir-opt of skvmc
    skvmc passes                                 list passes and their options
    skvmc targets | run | jit | profile | bench | serve  (see each one's --help)

Subcommands live in their own modules and are imported only when used, so ``skvmc --help``
and plain compiles never import litellm or the VM.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from skvmc import __version__

# subcommand -> "module:function" taking argv and returning an exit code
SUBCOMMANDS = {
    "opt": ("skvmc.cli_opt:main", "run a pass pipeline over IR text or a skill"),
    "passes": ("skvmc.cli_opt:list_passes_main", "list passes and their options"),
    "targets": ("skvmc.targets.cli:main", "list models and harnesses, show effective profiles"),
    "run": ("skvmc.vm.cli:main", "run a compiled skill on a task with a model"),
    "jit": ("skvmc.vm.jit_cli:main", "inspect or clear JIT-solidified steps"),
    "profile": ("skvmc.profiler.cli:main", "measure a model's capability profile"),
    "bench": ("skvmc.bench.cli:main", "benchmark skills on a task suite"),
    "asm": ("skvmc.bytecode.cli:main", "assemble .skasm to .skbc or disassemble .skbc"),
    "serve": ("skvmc.serve.server:main", "serve a local model as an OpenAI-compatible API"),
}

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def add_pipeline_args(parser: argparse.ArgumentParser) -> None:
    """The MLIR-style pass-manager flags, shared by compile and opt."""
    g = parser.add_argument_group("pass manager")
    g.add_argument("--print-ir-before", metavar="PASS", action="append", default=[],
                   help="print the IR before PASS (repeatable)")
    g.add_argument("--print-ir-after", metavar="PASS", action="append", default=[],
                   help="print the IR after PASS (repeatable)")
    g.add_argument("--print-ir-before-all", action="store_true", help="print the IR before every pass")
    g.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass")
    g.add_argument("--print-ir-after-change", action="store_true",
                   help="print the IR after a pass only when it changed the IR")
    g.add_argument("--print-ir-after-failure", action="store_true",
                   help="print the IR after a pass that failed")
    g.add_argument("--time-passes", action="store_true", help="report the time of every pass")
    g.add_argument("--no-verify-each", action="store_true", help="do not verify after every pass")
    g.add_argument("--print-debuginfo", action="store_true", help="print loc(...) in IR text")
    g.add_argument("-Werror", dest="werror", action="store_true", help="treat warnings as errors")


def instrumentation(args):
    from skvmc.passmanager import Instrumentation

    return Instrumentation(
        print_before=frozenset(args.print_ir_before), print_after=frozenset(args.print_ir_after),
        print_before_all=args.print_ir_before_all, print_after_all=args.print_ir_after_all,
        print_after_change=args.print_ir_after_change,
        print_after_failure=args.print_ir_after_failure, time_passes=args.time_passes,
        debuginfo=args.print_debuginfo, verify_each=not args.no_verify_each)


def _top_help() -> str:
    lines = [
        f"skvmc {__version__}: compile agent skills for a model+harness target",
        "",
        "usage: skvmc <skill-dir|SKILL.md>... [--target=MODEL+HARNESS] [--emit=KIND] [-o OUT]",
        "       skvmc <command> [args]   (skvmc <command> --help for details)",
        "",
        "commands:",
    ]
    lines += [f"  {name:<9} {summary}" for name, (_, summary) in SUBCOMMANDS.items()]
    lines += ["", "compile options: skvmc --help-compile"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        # `skvmc ... | head` closed the pipe: not an error worth a traceback.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("skvmc: interrupted", file=sys.stderr)
        return 130


def _dispatch(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(_top_help())
        return EXIT_OK if argv else EXIT_USAGE
    if argv[0] == "--version":
        print(f"skvmc {__version__}")
        return EXIT_OK
    if argv[0] in SUBCOMMANDS:
        target, _ = SUBCOMMANDS[argv[0]]
        module_name, _, func = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if not module_name.startswith(err.name or "\0"):
                raise
            print(f"skvmc: error: '{argv[0]}' is not available in this build", file=sys.stderr)
            return EXIT_USAGE
        return getattr(module, func)(argv[1:])
    if argv[0] == "--help-compile":
        argv = ["--help"]
    from skvmc.driver import compile_main

    return compile_main(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
