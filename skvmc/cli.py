"""The ``skvmc`` command line.

    skvmc <skill-dir|SKILL.md>... [--target=MODEL+HARNESS[,..]] [--emit=KIND] [-o OUT]
    skvmc opt <file.skir|skill> -p PIPELINE      the mlir-opt of skvmc
    skvmc passes                                 list passes and their options
    skvmc targets | run | jit | profile | bench | serve | compile-corpus | analyze  (see --help)

Subcommands live in their own modules and are imported only when used, so ``skvmc --help``
and plain compiles never import litellm or the VM.
"""

from __future__ import annotations

import importlib
import sys

from skvmc import __version__
from skvmc.exitcodes import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE

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
    "compile-corpus": ("skvmc.corpus:main", "compile a folder tree of skills (resumable JSONL)"),
    "analyze": ("skvmc.analyze:main", "corpus study: primitives, coverage, kinds, gaps"),
    "serve": ("skvmc.serve.server:main", "serve a local model as an OpenAI-compatible API"),
}


def _top_help() -> str:
    lines = [
        f"skvmc {__version__}: compile agent skills for a model+harness target",
        "",
        "usage: skvmc <skill-dir|SKILL.md>... [--target=MODEL+HARNESS] [--emit=KIND] [-o OUT]",
        "       skvmc <command> [args]   (skvmc <command> --help for details)",
        "",
        "commands:",
    ]
    lines += [f"  {name:<15} {summary}" for name, (_, summary) in SUBCOMMANDS.items()]
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
        return EXIT_INTERRUPTED
    except (RecursionError, MemoryError) as err:
        # Last line of defence: the inputs' depth and size are bounded where they are read
        # (with located errors); an input that still gets this far is reported, not dumped.
        what = "nested too deeply" if isinstance(err, RecursionError) else "too large"
        print(f"skvmc: error: input is {what} to process ({type(err).__name__})",
              file=sys.stderr)
        return EXIT_ERROR


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
