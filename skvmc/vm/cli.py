"""``skvmc run``: execute a compiled skill (a compiled dir holding skill.skbc, or a .skbc).

The VM's ``skill_dir`` (``$SKILL_DIR`` in the skill's commands) is ``--skill-dir``, else the
program's ``meta["skill_dir"]`` under the folder holding skill.skbc (where the prompt backend
copied the bundle). ``--recompile K --skill SRC --target MODEL+HARNESS`` runs adaptively: a
step failing for lack of a capability lowers it and recompiles SRC (docs/jit.md)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="skvmc run", description=__doc__)
    p.add_argument("program", help="compiled skill directory (with skill.skbc) or a .skbc file")
    task = p.add_mutually_exclusive_group(required=True)
    task.add_argument("--task", help="the task text")
    task.add_argument("--task-file", help="read the task text from this file")
    p.add_argument("--workdir", required=True, help="sandbox directory the skill works in")
    p.add_argument("--model", default="smollm2",
                   help="model string for skvmc.models.resolve (default: smollm2, embedded; "
                        "'replay:TRACE.jsonl' replays a trace)")
    p.add_argument("--api-base", default=None, help="API base URL for the model server")
    p.add_argument("--max-steps", type=int, default=None,
                   help="cap on agent-loop turns per step")
    p.add_argument("--timeout", type=float, default=None, help="run timeout in seconds (exit 4)")
    p.add_argument("--concurrency", type=int, default=4, help="parallel fork branches")
    p.add_argument("--trace", default=None,
                   help="trace path (default: WORKDIR/.skvm/trace-<time>.jsonl)")
    p.add_argument("--jit", action=argparse.BooleanOptionalAction, default=False,
                   help="JIT-solidify steps whose model-written code is stable (docs/jit.md)")
    p.add_argument("--jit-threshold", type=int, default=3, metavar="N",
                   help="equivalent runs before a step is solidified (default: 3)")
    p.add_argument("--skill-dir", default=None,
                   help="where the skill's bundle is installed ($SKILL_DIR; default: the "
                        "harness skill folder next to skill.skbc)")
    p.add_argument("--recompile", type=int, default=0, metavar="K",
                   help="adaptive recompilation: recompile at most K times when a step fails "
                        "for lack of a capability (needs --skill and --target)")
    p.add_argument("--skill", default=None, metavar="SRC_DIR",
                   help="the skill source to recompile (with --recompile)")
    p.add_argument("--target", default=None, metavar="MODEL+HARNESS",
                   help="the target to recompile for (with --recompile; default: the "
                        "program's target)")
    from skvmc.vm.sandbox import add_option
    add_option(p)
    return p


def skill_dir_for(args, path: Path, program) -> str | None:
    """The absolute skill directory the VM exposes as ``skill_dir`` / SKILL_DIR."""
    if args.skill_dir:
        return str(Path(args.skill_dir).resolve())
    rel = (program.meta or {}).get("skill_dir")
    if not rel:
        return None
    return str((path.parent / rel).resolve())


def _jit(args, program):
    if not args.jit:
        return None
    from skvmc.vm.jit import controller_for
    return controller_for(program, threshold=args.jit_threshold)


def _fail(message: str, code: int) -> int:
    print(f"skvmc run: error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    from skvmc.bytecode import BytecodeError, decode

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)

    path = Path(args.program)
    if path.is_dir():
        path = path / "skill.skbc"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {path}: {exc.strerror}", 2)
    try:
        program = decode(data)
    except BytecodeError as exc:
        return _fail(f"{path}: {exc}", 1)

    if args.task_file:
        try:
            task = Path(args.task_file).read_text(encoding="utf-8")
        except OSError as exc:
            return _fail(f"cannot read task file {args.task_file}: {exc.strerror}", 2)
    else:
        task = args.task

    if args.recompile < 0:
        return _fail("--recompile must be >= 0", 2)
    target = args.target or (program.meta or {}).get("target")
    if args.recompile and not (args.skill and target):
        return _fail("--recompile needs --skill SRC_DIR and --target MODEL+HARNESS", 2)
    if args.skill_dir and not Path(args.skill_dir).is_dir():
        return _fail(f"--skill-dir {args.skill_dir} is not a directory", 2)
    skill_dir = skill_dir_for(args, path, program)
    inputs = {"skill_dir": skill_dir} if skill_dir else {}

    workdir = Path(args.workdir)
    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(f"cannot create workdir {workdir}: {exc.strerror}", 2)

    try:
        from skvmc.models import resolve  # lazy: pulls in litellm / llama-cpp only now
        model = resolve(args.model, api_base=args.api_base)
    except Exception as exc:  # noqa: BLE001 - unknown model string, missing backend ...
        return _fail(f"cannot load model {args.model!r}: {exc}", 3)

    from skvmc.vm.host import SandboxHost
    from skvmc.vm.interp import run_program

    trace = args.trace or str(workdir / ".skvm" / f"trace-{time.strftime('%Y%m%d-%H%M%S')}"
                                                   f"-{os.getpid()}.jsonl")

    def run_once(prog, attempt: int):
        path = trace if attempt == 0 else _attempt_trace(trace, attempt)
        host = SandboxHost(workdir, model, env_allow=tuple(prog.meta.get("env_allow", ())),
                           sandbox=args.sandbox, skill_dir=skill_dir)
        return run_program(prog, host, task=task, inputs=inputs, trace_path=path,
                           model_name=args.model, max_steps=args.max_steps,
                           timeout=args.timeout, concurrency=args.concurrency,
                           jit=_jit(args, prog))

    if args.recompile:
        result = _run_adaptive(args, program, run_once, target)
        if result is None:
            return 1
    else:
        result = run_once(program, 0)
    if result.error:
        print(f"skvmc run: {result.status}: {result.error}", file=sys.stderr)
    print(f"trace: {result.trace_path}")
    return result.exit_code


def _attempt_trace(trace: str, attempt: int) -> str:
    p = Path(trace)
    return str(p.with_name(f"{p.stem}-attempt{attempt}{p.suffix or '.jsonl'}"))


def _warn_if_other_source(skill: str, program) -> None:
    """Recompiling a different SKILL.md than the program came from is allowed, but say so."""
    import hashlib

    want = (program.meta or {}).get("source_hash")
    src = Path(skill) / "SKILL.md" if Path(skill).is_dir() else Path(skill)
    try:
        with open(src, encoding="utf-8-sig", errors="replace", newline="") as fh:  # as compiled
            got = hashlib.sha256(fh.read().encode("utf-8")).hexdigest()
    except OSError:
        return  # compile_skill reports a missing skill
    if want and got != want:
        print(f"skvmc run: warning: {src} differs from the source the program was compiled "
              "from", file=sys.stderr)


def _run_adaptive(args, program, run_once, target: str):
    """``run_adaptive`` with recompiles of ``--skill``; prints why each recompile happened."""
    from skvmc.compile import compile_skill
    from skvmc.diagnostics import CompileError
    from skvmc.vm.recompile import run_adaptive

    _warn_if_other_source(args.skill, program)
    failed: list[str] = []

    # the same granularity request as the program (auto may choose anew under the overlay)
    granularity = (program.meta or {}).get("granularity", {}).get("requested", "auto")

    def recompile(overlay):
        try:
            return compile_skill(args.skill, target, overlay=overlay, granularity=granularity)
        except CompileError as exc:
            failed.append(str(exc))
            raise

    try:
        res = run_adaptive(program, run_once, recompile, target=target,
                           max_recompiles=args.recompile)
    except CompileError:
        print(f"skvmc run: error: recompiling {args.skill} failed:\n{failed[-1]}",
              file=sys.stderr)
        return None
    for i, why in enumerate(res.recompiles, 1):
        lowered = ", ".join(f"{p} {a}->{b}" for p, (a, b) in sorted(why["lowered"].items()))
        print(f"recompile {i}: {why['error']}; lowered {lowered}")
    return res.result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
