"""``skvmc profile``: measure a model+harness pair's levels on the 26 primitives.

Writes a target capability profile (TCP) JSON, plus ``<out>.details.json`` (per-level pass
counts, failures with reasons, inversions, every instance record) and a resume checkpoint
``<out>.checkpoint.jsonl`` beside it. See docs/profiler.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import sys
import time
from pathlib import Path

HARNESSES = ("bare",)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="skvmc profile", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="model string for skvmc.models.resolve "
                                                  "(e.g. smollm2, ollama/qwen2.5:7b)")
    p.add_argument("--api-base", default=None, help="API base URL of the model server")
    p.add_argument("--harness", default="bare", choices=HARNESSES,
                   help="harness the model runs in (only the VM's bare agent loop)")
    p.add_argument("--primitives", default="all", help="comma-separated primitive ids, or all")
    p.add_argument("--levels", default="1,2,3", help="comma-separated levels (default 1,2,3)")
    p.add_argument("--instances", type=int, default=3, help="instances per level (default 3)")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    p.add_argument("--concurrency", type=int, default=1, help="parallel instances")
    p.add_argument("--executor", default="local", choices=("local", "ray"),
                   help="local thread pool (default) or a Ray cluster (pip install skvmc[ray])")
    p.add_argument("--ray-address", default=None, help="Ray cluster address (default: local)")
    p.add_argument("--max-turns", type=int, default=None, help="agent turns per instance")
    p.add_argument("--max-tokens", type=int, default=None, help="max tokens per model call")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per instance")
    p.add_argument("--resume", action="store_true",
                   help="skip instances already in the checkpoint beside --out")
    p.add_argument("--format", default="skvmc", choices=("skvmc", "skvm"),
                   help="output shape: skvmc (default) or SkVM-data's published shape")
    p.add_argument("--out", default=None,
                   help="output path (default profile--<model>--<harness>.json)")
    p.add_argument("--details", default=None,
                   help="details JSON path (default <out stem>.details.json beside --out)")
    p.add_argument("--checkpoint", default=None,
                   help="resume checkpoint path (default <out>.checkpoint.jsonl beside --out)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    from skvmc.vm.sandbox import add_option
    add_option(p)
    return p


def _fail(msg: str, code: int = 1) -> int:
    print(f"skvmc profile: error: {msg}", file=sys.stderr)
    return code


def _profile_model_name(model: str) -> str:
    """The name profiles use for a shipped model alias (e.g. skvmc-local/smollm2)."""
    try:
        from skvmc.targets.target import get_model
        desc = get_model(model)
        return desc.profile_model or desc.litellm or model
    except Exception:  # noqa: BLE001 - not a shipped alias: keep the model string
        return model


def main(argv: list[str] | None = None) -> int:
    from skvmc.profiler import generators, run

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    known = list(generators.GENERATORS)
    if args.primitives.strip() == "all":
        primitives = known
    else:
        primitives = [p.strip() for p in args.primitives.split(",") if p.strip()]
        bad = [p for p in primitives if p not in generators.GENERATORS]
        if bad:
            return _fail(f"unknown primitive(s): {', '.join(bad)}", 2)
    try:
        levels = sorted({int(x.strip().upper().lstrip("L")) for x in args.levels.split(",")
                         if x.strip()})
    except ValueError:
        return _fail(f"bad --levels {args.levels!r} (e.g. 1,2,3)", 2)
    if not levels or any(lv not in (1, 2, 3) for lv in levels):
        return _fail("--levels must be among 1,2,3", 2)
    if args.instances < 1 or args.concurrency < 1:
        return _fail("--instances and --concurrency must be >= 1", 2)
    if args.executor == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            return _fail("--executor ray needs ray: pip install 'skvmc[ray]'", 2)

    safe = args.model.replace("/", "--").replace(":", "-")
    out = Path(args.out or f"profile--{safe}--{args.harness}.json")
    checkpoint = Path(args.checkpoint or out.with_name(out.name + ".checkpoint.jsonl"))
    details_path = Path(args.details or out.with_name(out.stem + ".details.json"))

    model_string, api_base = args.model, args.api_base

    def model_factory():
        from skvmc.models import resolve  # lazy: litellm / llama-cpp only now
        return resolve(model_string, api_base=api_base)

    from skvmc.vm.sandbox import preflight

    problem = preflight(args.sandbox)
    if problem:
        return _fail(problem)
    try:
        model_factory()  # fail early (and load the weights once) before the matrix starts
    except Exception as exc:  # noqa: BLE001 - unknown model, missing backend ...
        return _fail(f"cannot load model {args.model!r}: {exc}", 1)

    jobs = run.plan_jobs(primitives, levels, args.instances, args.seed)
    progress = run.Progress(len(jobs), enabled=not args.quiet)
    run_kw = {"timeout_s": args.timeout, "sandbox": args.sandbox}
    if args.max_turns:
        run_kw["max_turns"] = args.max_turns
    if args.max_tokens:
        run_kw["max_tokens"] = args.max_tokens
    started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    t0 = time.monotonic()
    try:
        records = run.run_matrix(jobs, model_factory, executor=args.executor,
                                 concurrency=args.concurrency, checkpoint=checkpoint,
                                 resume=args.resume, progress=progress,
                                 ray_address=args.ray_address, **run_kw)
    except KeyboardInterrupt:
        print(f"\nskvmc profile: interrupted; rerun with --resume to continue "
              f"({checkpoint})", file=sys.stderr)
        return 130
    wall = time.monotonic() - t0
    summary = run.summarize(records, primitives, levels)
    tot = run.totals(records)
    command = "skvmc profile " + " ".join(shlex.quote(a) for a in (argv or []))
    profile = run.build_profile(summary, model=_profile_model_name(args.model),
                                harness=args.harness, command=command.strip(), date=started,
                                seed=args.seed, instances=args.instances, levels=levels,
                                tot=tot, wall_s=wall,
                                budget={"max_turns": run_kw.get("max_turns", run.DEFAULT_MAX_TURNS),
                                        "max_tokens": run_kw.get("max_tokens",
                                                                 run.DEFAULT_MAX_TOKENS),
                                        "timeout_s": args.timeout})
    run.validate_profile(profile)
    if args.format == "skvm":
        from skvmc.profiler.skvm_format import to_skvm
        profile = to_skvm(profile, details=summary)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(profile, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    details = {"profile": str(out), "wall_s": round(wall, 3), "totals": tot,
               "primitives": summary, "records": records}
    details_path.parent.mkdir(parents=True, exist_ok=True)
    details_path.write_text(json.dumps(details, indent=2) + "\n", encoding="utf-8")
    caps = profile["capabilities"]
    print(f"profile: {out} ({len(caps)} primitives known, {tot['passed']}/{tot['instances']} "
          f"instances passed, {tot['prompt_tokens'] + tot['completion_tokens']} tokens, "
          f"{wall:.1f}s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
