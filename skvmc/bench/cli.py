"""``skvmc bench``: run a task suite (SkillsBench layout) under several conditions.

Conditions: no-skill, original, compiled, compiled+jit (see skvmc/bench/runner.py). Each run
is graded by the task's pytest grader, copied in only after the agent finished. Writes
results.jsonl (one line per finished run; ``--resume`` skips those), results.json, report.md
and chart.png into --out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import shlex
import sys
import time
from pathlib import Path

import attrs

from skvmc.bench.serving import ServeError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="skvmc bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", required=True, help="task suite directory (one folder per task)")
    p.add_argument("--model", default="smollm2", help="model string (default smollm2)")
    p.add_argument("--api-base", default=None, help="API base URL of the model server")
    p.add_argument("--conditions", default="no-skill,original,compiled,compiled+jit",
                   help="comma-separated conditions")
    p.add_argument("--only", default=None, help="comma-separated task ids to run")
    p.add_argument("--runs", type=int, default=1, help="runs per task and condition")
    p.add_argument("--concurrency", type=int, default=1, help="parallel runs")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local threads, or Ray tasks (optional extra: pip install 'skvmc[ray]')")
    p.add_argument("--ray-address", default=None, help="existing Ray cluster (default: local)")
    p.add_argument("--target", default="smollm2+bare", help="compile target MODEL+HARNESS")
    p.add_argument("--timeout-scale", type=float, default=1.0, metavar="X",
                   help="multiply every task's timeout_s (a loaded machine runs local models "
                        "several times slower; the factor is recorded in the results)")
    p.add_argument("--granularity", choices=("auto", "whole", "split"), default="auto",
                   help="compiled conditions: as the profile chooses, or forced (to measure it)")
    p.add_argument("--binding-route", default="auto",
                   choices=("auto", "skill-folder", "context-file", "context-pointer"),
                   help="harness runs: the compiled skill's binding route, as measured for the "
                        "target or forced (to measure a route)")
    p.add_argument("--harness-output-check", action="store_true",
                   help="harness runs: compile with --harness-output-check")
    p.add_argument("--max-steps", type=int, default=8, help="agent turns per step")
    p.add_argument("--max-tokens", type=int, default=512, help="max tokens per model call")
    p.add_argument("--jit-warmup", type=int, default=2,
                   help="ungraded warm-up runs before compiled+jit (also the JIT threshold)")
    p.add_argument("--out", default="bench/results", help="output directory")
    p.add_argument("--resume", action="store_true", help="skip runs already in results.jsonl")
    p.add_argument("--report-only", action="store_true",
                   help="only (re)build the report from results.jsonl in --out; run nothing")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--harness", default=None,
                   help="run inside a real agent harness (pi, opencode, codex, openhands) "
                   "against `skvmc serve MODEL` instead of skvmc's VM "
                   "(skvmc/bench/harness_bench.py)")
    p.add_argument("--n-ctx", type=int, default=16384, help="--harness: the server's context")
    p.add_argument("--timeout", type=float, default=None,
                   help="per-run timeout in seconds (default: the task's timeout_s)")
    from skvmc.vm.sandbox import add_option
    add_option(p)
    return p


def _fail(msg: str, code: int = 1) -> int:
    print(f"skvmc bench: error: {msg}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None, *, model=None, model_factory=None,
         work_root=None) -> int:
    """``model`` (a Model object), ``model_factory`` (a picklable callable building one, for
    --executor ray) and ``work_root`` are for tests; the CLI resolves --model."""
    from skvmc import matrix
    from skvmc.bench import report, runner

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    bad = [c for c in conditions if c not in runner.CONDITIONS]
    if bad or not conditions:
        return _fail(f"unknown condition(s) {bad}; choose from {', '.join(runner.CONDITIONS)}",
                     2)
    if args.runs < 1 or args.concurrency < 1:
        return _fail("--runs and --concurrency must be >= 1", 2)
    tasks_dir = Path(args.tasks)
    if not tasks_dir.is_dir():
        return _fail(f"no task directory {tasks_dir}", 2)
    tasks = [attrs.evolve(t, timeout_s=t.timeout_s * args.timeout_scale)
             for t in runner.load_tasks(tasks_dir)]
    if args.only:
        wanted = {t.strip() for t in args.only.split(",")}
        tasks = [t for t in tasks if t.id in wanted]
    if not tasks:
        return _fail(f"no tasks found in {tasks_dir}", 2)
    if args.report_only:
        args.resume = True
    elif not args.harness:  # a harness CLI runs its commands in its own sandbox
        from skvmc.vm.sandbox import preflight

        problem = preflight(args.sandbox)
        if problem:
            return _fail(problem)
    if args.harness:
        from skvmc.bench import harness_bench

        problem = harness_bench.check_args(args, conditions)
        if problem:
            return _fail(problem, 2)
        model, model_factory = None, (lambda: None)  # the harness talks to skvmc serve
    if model is not None:
        model_factory = lambda: model  # noqa: E731 - tests hand in a model object
    elif model_factory is None:
        from skvmc.models import resolve  # lazy: litellm / llama-cpp only now

        # A factory, not a model: Ray workers build their own (models are not picklable).
        model_factory = functools.partial(resolve, args.model, api_base=args.api_base)
        if not args.report_only:
            try:  # resolve once here, so a bad model string is a message, not a traceback
                local_model = model_factory()
            except Exception as exc:  # noqa: BLE001
                return _fail(f"cannot load model {args.model!r}: {exc}")
            if args.executor == "local":
                model_factory = lambda: local_model  # noqa: E731

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jsonl = out / "results.jsonl"
    done: dict[str, dict] = {}
    if args.resume and jsonl.is_file():
        for line in jsonl.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
                done[rec["key"]] = rec
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # a torn last line from an interrupted run
        with open(jsonl, "rb+") as f:  # make sure our first append starts on a new line
            f.seek(0, 2)
            if f.tell():
                f.seek(-1, 2)
                if f.read(1) != b"\n":
                    f.write(b"\n")
    elif jsonl.exists():
        jsonl.unlink()
    units = [(t, c, i) for t in tasks for c in conditions for i in range(args.runs)]
    todo = [u for u in units if f"{u[0].id}|{u[1]}|{u[2]}" not in done]
    if args.report_only:
        todo = []  # a partial bench reports the runs that finished
    compiler = runner.Compiler(out, args.target, args.granularity)
    records = list(done.values())
    total, count = len(units), len(done)
    started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    t0 = time.monotonic()

    work = None if not args.harness else harness_bench.work_for(args, out, work_root)
    work = work or functools.partial(runner.run_unit_safely, compiler=compiler, target=args.target,
                             work_root=work_root, max_steps=args.max_steps, sandbox=args.sandbox,
                             max_tokens=args.max_tokens, jit_warmup=args.jit_warmup,
                             jit_root=out / "jit", trace_dir=out / "traces")

    def finish(rec):
        nonlocal count
        count += 1
        records.append(rec)
        with open(jsonl, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, sort_keys=True) + "\n")
        if not args.quiet:
            print(f"[{count}/{total}] {rec['key']} {rec['status']} "
                  f"({rec.get('prompt_tokens', 0) + rec.get('completion_tokens', 0)} tok, "
                  f"{rec.get('wall_s', 0)}s)", file=sys.stderr, flush=True)

    try:
        if args.harness and todo:
            harness_bench.start_server(args, work, out)
        matrix.run_matrix(todo, work, model_factory, on_done=finish, executor=args.executor,
                          concurrency=args.concurrency, ray_address=args.ray_address)
    except KeyboardInterrupt:
        print(f"\nskvmc bench: interrupted; rerun with --resume ({jsonl})", file=sys.stderr)
        return 130
    except ServeError as exc:
        return _fail(str(exc))
    finally:
        if args.harness:
            harness_bench.stop_server(work)
    meta = {"model": args.model, "target": args.target, "harness": args.harness,
            "granularity": args.granularity, "binding_route": args.binding_route,
            "harness_output_check": args.harness_output_check,
            "timeout_scale": args.timeout_scale,
            "tasks_dir": str(tasks_dir),
            "runs": args.runs, "conditions": conditions, "date": started,
            "planned_runs": total, "finished_runs": len(records),
            # wall time of this invocation; a --report-only rebuild ran nothing
            "wall_s": None if args.report_only else round(time.monotonic() - t0, 3),
            "resumed_runs": len(done),
            "command": "skvmc bench " + " ".join(shlex.quote(a) for a in (argv or [])),
            "budget": {"max_steps": args.max_steps, "max_tokens": args.max_tokens,
                       "jit_warmup": args.jit_warmup}}
    rep = report.build(records, conditions, meta)
    paths = report.write(rep, out)
    for c in conditions:
        a = rep["conditions"][c]
        print(f"{c:<13} pass {a['passed']}/{a['graded']}  tokens {a['tokens']}  "
              f"calls {a['model_calls']}  wall {a['wall_s']}s"
              + (f"  unavailable {a['unavailable']}" if a["unavailable"] else ""))
    print(f"report: {paths['markdown']}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
