"""``skvmc run``: execute a compiled skill (a compiled dir holding skill.skbc, or a .skbc)."""

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
    return p


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
    host = SandboxHost(workdir, model, env_allow=tuple(program.meta.get("env_allow", ())))
    result = run_program(program, host, task=task, trace_path=trace, model_name=args.model,
                         max_steps=args.max_steps, timeout=args.timeout,
                         concurrency=args.concurrency, jit=_jit(args, program))
    if result.error:
        print(f"skvmc run: {result.status}: {result.error}", file=sys.stderr)
    print(f"trace: {result.trace_path}")
    return result.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
