"""``skvmc opt``: run a pass pipeline over IR text or a skill (the mlir-opt of skvmc), and
``skvmc passes``: list the registered passes with their options."""

from __future__ import annotations

import argparse
import sys

import attrs

from skvmc.cliargs import add_pipeline_args
from skvmc.diagnostics import CompileError, DiagnosticEngine
from skvmc.exitcodes import EXIT_ERROR, EXIT_OK, EXIT_USAGE


def _load_input(path: str, diags: DiagnosticEngine):
    """A .skir file is parsed as IR text; anything else is a skill folder or SKILL.md."""
    import os

    if path.endswith(".skir") or path == "-":
        from skvmc.irparse import parse_module
        from skvmc.verifier import verify

        if path == "-":
            text = sys.stdin.read()
        else:
            if not os.path.isfile(path):
                from skvmc.frontend import UsageError

                raise UsageError(f"no such file: {path}")
            from skvmc.fsutil import read_limited
            from skvmc.ir import Location

            try:
                text = read_limited(path, 64 << 20, "the IR file").decode("utf-8")
            except (OSError, ValueError) as err:  # not UTF-8, a FIFO, too big
                diags.error(f"cannot read: {getattr(err, 'strerror', None) or err}",
                            Location(path), code="ir-read")
                raise CompileError("unreadable") from None
        module = parse_module(text, path, diags)
        problems = verify(module)
        if problems:
            diags.extend(problems)
            raise CompileError("input does not verify")
        return module
    from skvmc.frontend import parse_skill

    return parse_skill(path, diags)


def main(argv: list[str]) -> int:
    from skvmc.driver import run_pipeline
    from skvmc.frontend import UsageError
    from skvmc.printer import print_module

    p = argparse.ArgumentParser(prog="skvmc opt",
                                description="Run a pass pipeline over IR text (.skir) or a skill.")
    p.add_argument("input", help="a .skir file ('-' for stdin), a skill folder or a SKILL.md")
    p.add_argument("-p", "--pipeline", default="", help="e.g. 'canonicalize,infer-capabilities'")
    p.add_argument("-o", "--output", help="write the resulting IR here instead of stdout")
    p.add_argument("--explain", action="store_true", help="explain inferred requirements")
    add_pipeline_args(p)
    args = p.parse_args(argv)
    diags = DiagnosticEngine(werror=args.werror)
    try:
        module = _load_input(args.input, diags)
        if args.pipeline.strip():
            module, _ = run_pipeline(module, args.pipeline, args, diags)
        if diags.has_errors:
            raise CompileError("errors")
    except UsageError as err:
        print(f"skvmc opt: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except CompileError:
        diags.print()
        return EXIT_ERROR
    diags.print()
    text = print_module(module, args.print_debuginfo)
    if args.output:
        from skvmc.fsutil import atomic_write_text

        atomic_write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def list_passes_main(argv: list[str]) -> int:
    from skvmc.passmanager import available_passes

    p = argparse.ArgumentParser(prog="skvmc passes", description="List passes and their options.")
    p.parse_args(argv)
    for cls in available_passes():
        print(f"{cls.name}: {cls.summary}")
        for field in attrs.fields(cls):
            help_text = field.metadata.get("help", "")
            choices = field.metadata.get("choices")
            kind = (field.type if isinstance(field.type, str)
                    else getattr(field.type, "__name__", ""))
            extra = f" (one of: {', '.join(choices)})" if choices else ""
            print(f"  {field.name.replace('_', '-')}={kind} [default: {field.default!r}]"
                  f"  {help_text}{extra}")
    return EXIT_OK
