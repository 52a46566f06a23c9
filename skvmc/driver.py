"""``skvmc SKILL... [--target=MODEL+HARNESS[,...]]``: the compile command line.

Without --target: print the skill IR (after --pipeline / -O when given). With targets: every
(skill, target) through ``skvmc.batch`` (parse once per skill, target-independent prefix once,
``-j N`` worker processes, ``--cache-dir``), diagnostics printed in input order, then
``--emit=KIND`` prints one artifact per (skill, target) to stdout or the output folder is
written (``skvmc.outdir``: a new one atomically, complete or not at all; an existing one by
rewriting only the files that differ); a failed compile leaves an existing folder untouched.

Layout of the output folder (default ``./out``, see docs/backends.md): one skill and one target
-> the artifacts directly in OUT; several -> ``OUT/<skill>/<model>+<harness>/``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from skvmc.cliargs import add_pipeline_args, instrumentation
from skvmc.exitcodes import EXIT_ERROR, EXIT_OK, EXIT_USAGE

EMIT_KINDS = ("ir", "prompt", "env", "asm", "bytecode", "report", "dot", "mermaid")
DEFAULT_OUT = "out"


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
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                   help="compile in N worker processes (output identical to -j 1)")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="content-addressed cache of compiled artifacts (skill bytes, pipeline, "
                        "target and compiler version)")
    p.add_argument("--report-timings", action="store_true",
                   help="put wall-clock timings into report.json (off: the file is deterministic)")
    p.add_argument("--max-bundle-file-size", type=byte_size, metavar="BYTES",
                   help="skip (with a warning) bundle files larger than this "
                        "(default 10M; suffixes K, M, G)")
    p.add_argument("--max-bundle-size", type=byte_size, metavar="BYTES",
                   help="stop copying bundle files once they total this much (default 100M)")
    p.add_argument("--granularity", choices=("auto", "whole", "split"), default="auto",
                   help="bytecode: the skill as one agent loop (whole), one VM step per "
                        "instruction (split), or as the target's profile supports (auto)")
    p.add_argument("--binding-route", default="auto",
                   choices=("auto", "skill-folder", "context-file", "context-pointer"),
                   help="how the skill reaches the model in its harness: as measured for the "
                        "target (auto), or this route (to measure it)")
    p.add_argument("--harness-output-check", action="store_true",
                   help="with a context route, also the harness's output check (pi: an "
                        "extension that asks once more for outputs not written)")
    add_pipeline_args(p, verify_each=False)
    return p


def options_from_args(args: argparse.Namespace):
    """The library's CompileOptions from parsed command-line flags."""
    from skvmc.compile import CompileOptions

    return CompileOptions(pipeline=args.pipeline or None, strict=args.strict,
                          explain=args.explain, instrumentation=instrumentation(args),
                          werror=args.werror, report_timings=args.report_timings,
                          max_bundle_file=args.max_bundle_file_size,
                          max_bundle_size=args.max_bundle_size,
                          granularity=args.granularity, binding_route=args.binding_route,
                          harness_output_check=args.harness_output_check)


def parse_targets(text: str, diags=None) -> list[str] | str:
    """The comma-separated target specs, checked; a usage message (str) when one is bad."""
    from skvmc.targets import TargetError, parse_target

    specs = [s.strip() for s in (text or "").split(",") if s.strip()]
    for spec in specs:
        try:
            parse_target(spec, diags)
        except TargetError as err:
            return err.message
    if not specs:
        return "--target needs at least one MODEL+HARNESS"
    return specs


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


def run_pipeline(module, pipeline_text: str, args, diags, ctx=None):
    """Run pipeline text over a module with the command line's instrumentation (IR mode and
    ``skvmc opt``)."""
    from skvmc.passmanager import PassContext, PassManager, parse_pipeline

    passes = parse_pipeline(pipeline_text, diags)
    ctx = ctx or PassContext(diags=diags)
    ctx.options.setdefault("explain", getattr(args, "explain", False))
    return PassManager(passes, instrumentation(args)).run(module, ctx), ctx


def _safe(name: str) -> str:
    return re.sub(r"[^\w.+@-]", "_", name) or "_"


def layout(results, nested: bool) -> dict[str, tuple[bytes, str]]:
    """All files under the output folder, each with the skill path that produced it;
    ``results``: (SkillResult, TargetResult) pairs."""
    out: dict[str, tuple[bytes, str]] = {}
    for skill, target in results:
        prefix = f"{_safe(skill.skill_name or 'skill')}/{_safe(target.target_name)}/" \
            if nested else ""
        for rel, data in target.files.items():
            out[prefix + rel] = (data, skill.path)
    return out


def _origin(skill_path: str | None):
    """Where a bad output path comes from: the SKILL.md of the skill (its name made it)."""
    from skvmc.ir import Location

    if not skill_path:
        return None
    path = skill_path if skill_path.endswith(".md") else os.path.join(skill_path, "SKILL.md")
    return Location(path, 1, 1)


def _mode(rel: str) -> int | None:
    return 0o755 if rel.endswith("env-setup.sh") else None


def write_tree(out_dir: str, files: dict, diags=None, streamed=None) -> bool:
    """Write the output folder (``skvmc.outdir``: a new one atomically, an existing one by
    rewriting only the files that differ). Every path must stay inside ``out_dir``: a path that
    would leave it (or that no file system takes) is a located error and nothing is written.
    ``files``: relative POSIX path -> bytes, or -> (bytes, skill path) as :func:`layout`
    gives. Returns False (after reporting to ``diags``) when nothing was written.
    ``streamed``: an ``outdir.Streamed`` that wrote the files already (renamed into place
    when it holds exactly these, else discarded and the files written here)."""
    from skvmc.diagnostics import DiagnosticEngine
    from skvmc.fsutil import UnsafePath, check_tree
    from skvmc.ir import Location
    from skvmc.outdir import write_output

    diags = diags if diags is not None else DiagnosticEngine()
    entries = {rel: (v if isinstance(v, tuple) else (v, None)) for rel, v in files.items()}
    where = Location(out_dir)
    problems = check_tree(entries)
    for rel, problem in problems:
        diags.error(f"{problem}; nothing was written to '{out_dir}'",
                    _origin(entries[rel][1]) or where, code="output-path")
    if problems:
        if streamed is not None:
            streamed.discard()
        return False
    moded = {rel: (data, _mode(rel)) for rel, (data, _) in entries.items()}
    try:
        if streamed is None or not streamed.finish(moded):
            write_output(out_dir, moded)
    except UnsafePath as err:
        origin = entries.get(getattr(err, "rel", None), (None, None))[1]
        diags.error(f"{err}; nothing was written to '{out_dir}'", _origin(origin) or where,
                    code="output-path")
        return False
    except OSError as err:
        diags.error(f"cannot write the output folder: {err.strerror or err}", where,
                    code="output-write")
        return False
    return True


def output_spares_inputs(out_dir: str, skill_dirs, diags) -> bool:
    """The output folder ends up holding the artifacts only, so it must not hold a skill being
    compiled (``-o myskill`` or ``-o .`` would delete the sources) nor the working directory."""
    from skvmc.ir import Location

    out = os.path.realpath(out_dir)
    inside = [os.path.realpath(d) for d in skill_dirs] + [os.path.realpath(os.getcwd())]
    for path in inside:
        if os.path.commonpath([out, path]) == out:
            what = "the working directory" if path == inside[-1] else f"the skill '{path}'"
            diags.error(f"output folder '{out_dir}' holds {what}; it would be replaced as a "
                        "whole: choose another -o", Location(out_dir), code="output-path")
            return False
    return True


def artifact(target, kind: str) -> bytes:
    from skvmc.backends import EMIT_FILES

    _, name = EMIT_FILES[kind]
    return target.files[target.prompt_path if name is None else name]


def _summary(errors: int, warnings: int) -> str:
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return " and ".join(parts) + " generated.\n" if parts else ""


def _usage(message: str) -> int:
    print(f"skvmc: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def compile_targets(args: argparse.Namespace) -> int:
    from skvmc.batch import Unit

    specs = parse_targets(args.target)
    if isinstance(specs, str):
        return _usage(specs)
    if args.jobs < 1:
        return _usage("-j needs a number >= 1")
    from skvmc.cache import usage_problem

    if usage_problem(args.cache_dir):
        return _usage(usage_problem(args.cache_dir))
    emit = args.emit
    if emit == "bytecode" and len(specs) * len(args.skills) > 1:
        return _usage("--emit=bytecode prints one program; give one skill and one target")
    options = options_from_args(args)
    units = [Unit(i, path, tuple(specs), options, args.cache_dir)
             for i, path in enumerate(args.skills)]
    nested = len(units) * len(specs) > 1  # OUT/<skill>/<target>/ (when all compile)
    streamed = _streamed(args, nested)
    try:
        return _compile_and_write(args, units, nested, streamed)
    finally:
        if streamed is not None:
            streamed.discard()  # when it was not renamed into place: its temporary folder


def _streamed(args, nested: bool):
    """With ``-j N`` (N > 1) into a new output folder: an ``outdir.Streamed`` that writes each
    skill's files as its worker hands them over (the parent is idle meanwhile), else None.
    With -j 1 the compile itself runs in this process and holds the interpreter: a writer
    thread would only wait for it."""
    if args.jobs < 2 or len(args.skills) < 2 or args.emit or not nested:
        return None
    out_dir = args.output or DEFAULT_OUT
    dirs = [p if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)) for p in args.skills]
    from skvmc.diagnostics import DiagnosticEngine

    if os.path.lexists(out_dir) or not output_spares_inputs(out_dir, dirs, DiagnosticEngine()):
        return None  # an existing folder is updated in place (mostly reading it back)
    from skvmc.outdir import Streamed

    try:
        return Streamed(out_dir)
    except OSError:
        return None  # the usual write reports it


def _compile_and_write(args, units, nested: bool, streamed) -> int:
    from skvmc.batch import run_units

    emit = args.emit

    def on_done(skill) -> None:
        if skill.usage or not skill.ok or skill.counts[0] or not all(
                t.ok for t in skill.targets):
            streamed.spoil()  # nothing will be written: no point in writing ahead
            return
        files = layout([(skill, t) for t in skill.targets], nested)
        streamed.add({rel: (data, _mode(rel)) for rel, (data, _) in files.items()})

    skills = run_units(units, jobs=args.jobs, on_done=on_done if streamed else None)
    usage = [s.usage for s in skills if s.usage]
    if usage:
        return _usage(usage[0])
    errors = warnings = 0
    for s in skills:  # in input order, whatever order they finished in
        sys.stderr.write(s.all_text)
        e, w = s.counts
        errors, warnings = errors + e, warnings + w
    sys.stderr.write(_summary(errors, warnings))
    failed = [s for s in skills if not s.ok or not all(t.ok for t in s.targets)]
    if failed or errors:
        return EXIT_ERROR
    pairs = [(s, t) for s in skills for t in s.targets]
    if emit:
        if emit == "bytecode":
            sys.stdout.flush()
            sys.stdout.buffer.write(artifact(pairs[0][1], emit))
            sys.stdout.buffer.flush()
        else:
            many = len(pairs) > 1
            for s, t in pairs:
                if many:
                    print(f"// ----- {s.skill_name} for {t.target_name} ----- //")
                sys.stdout.write(artifact(t, emit).decode("utf-8"))
        return EXIT_OK
    from skvmc.diagnostics import DiagnosticEngine

    out_dir, diags = args.output or DEFAULT_OUT, DiagnosticEngine()
    dirs = [p if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)) for p in args.skills]
    if not (output_spares_inputs(out_dir, dirs, diags)
            and write_tree(out_dir, layout(pairs, nested=len(pairs) > 1), diags, streamed)):
        sys.stderr.write(diags.render_all())
        return EXIT_ERROR
    return EXIT_OK


def compile_main(argv: list[str]) -> int:
    from skvmc.diagnostics import CompileError, DiagnosticEngine
    from skvmc.frontend import UsageError

    args = build_parser().parse_args(argv)
    if args.target:
        return compile_targets(args)
    if args.emit not in (None, "ir"):
        return _usage(f"--emit={args.emit} needs --target")
    from skvmc.compile import parse
    from skvmc.printer import print_module

    diags = DiagnosticEngine(werror=args.werror)
    outputs = []
    try:
        failed = False
        for path in args.skills:  # report every failing skill before giving up
            try:
                module = parse(path, diags).module
            except CompileError:
                failed = True
                continue
            if args.pipeline or args.optimize:
                from skvmc.passes import default_pipeline

                module, _ = run_pipeline(module, args.pipeline or default_pipeline(), args, diags)
            outputs.append(print_module(module, args.print_debuginfo))
        if failed or diags.has_errors:
            raise CompileError("errors")
    except UsageError as err:
        diags.print()
        return _usage(str(err))
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
