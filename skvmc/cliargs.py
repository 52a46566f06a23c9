"""Command-line flags shared by compile and opt, and their conversion to library options.

Imports only argparse at module level, so every command line module may use it without
pulling in the compiler (and without importing ``skvmc.cli``).
"""

from __future__ import annotations

import argparse


def add_pipeline_args(parser: argparse.ArgumentParser, verify_each: bool = True) -> None:
    """The MLIR-style pass-manager flags, shared by compile and opt. ``verify_each``: the
    default of ``--verify-each`` (opt: on, as in pass development; compile: off, the module
    is then verified once, after the last pass)."""
    g = parser.add_argument_group("pass manager")
    g.add_argument("--print-ir-before", metavar="PASS", action="append", default=[],
                   help="print the IR before PASS (repeatable)")
    g.add_argument("--print-ir-after", metavar="PASS", action="append", default=[],
                   help="print the IR after PASS (repeatable)")
    g.add_argument("--print-ir-before-all", action="store_true",
                   help="print the IR before every pass")
    g.add_argument("--print-ir-after-all", action="store_true",
                   help="print the IR after every pass")
    g.add_argument("--print-ir-after-change", action="store_true",
                   help="print the IR after a pass only when it changed the IR")
    g.add_argument("--print-ir-after-failure", action="store_true",
                   help="print the IR after a pass that failed")
    g.add_argument("--time-passes", action="store_true", help="report the time of every pass")
    g.add_argument("--verify-each", action=argparse.BooleanOptionalAction, default=verify_each,
                   help="verify the IR after every pass; otherwise once, after the last "
                        f"(default: {'on' if verify_each else 'off'})")
    g.add_argument("--print-debuginfo", action="store_true", help="print loc(...) in IR text")
    g.add_argument("-Werror", dest="werror", action="store_true", help="treat warnings as errors")


def instrumentation(args: argparse.Namespace):
    """The pass manager's ``Instrumentation`` from the flags of ``add_pipeline_args``."""
    from skvmc.passmanager import Instrumentation

    return Instrumentation(
        print_before=frozenset(args.print_ir_before), print_after=frozenset(args.print_ir_after),
        print_before_all=args.print_ir_before_all, print_after_all=args.print_ir_after_all,
        print_after_change=args.print_ir_after_change,
        print_after_failure=args.print_ir_after_failure, time_passes=args.time_passes,
        debuginfo=args.print_debuginfo, verify_each=args.verify_each)
