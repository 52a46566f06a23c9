"""Prompt-eval and generation speed of the local models, with and without a shared prefix.

    .venv/bin/python bench/model_speed.py                       # smollm2 + the ladder models
    .venv/bin/python bench/model_speed.py qwen2.5-coder-0.5b --threads 2 --repeat 3

For each model it loads one persistent Llama (as skvmc does, ``skvmc.models.local.get_llama``)
and sends chat completions through ``create_chat_completion`` (the chat-template handler
skvmc's litellm provider uses) with a ~600-token system prompt and a short question:

- ``cold``: the KV cache is cleared first (``llama.reset()``), so the whole prompt is
  evaluated: prompt-eval tokens/s = prompt tokens / prompt-eval time.
- ``prefix``: the previous call had the same system prompt and another question; llama.cpp
  keeps the shared prefix in its KV cache and evaluates only the new suffix. We print the
  tokens it actually evaluated and the *effective* rate (all prompt tokens / prompt time).

- ``alternating`` (``--alternate``): two different system prompts take turns, as
  concurrent VM steps of two skills would. The built-in reuse only knows the previous
  prompt, so every call is cold again; with ``--ram-cache MB`` llama-cpp-python's
  ``LlamaRAMCache`` (a saved KV state per prompt, restored on a prefix hit) is compared.

Generation tokens/s is n_eval / eval time (one token per decode) over ``--gen`` tokens.
Timings come from llama.cpp's own counters (``llama_perf_context``), medians of ``--repeat``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

SYSTEM = (
    "You are a careful coding assistant working inside a skill compiler. " * 3
    + "Rules: " + " ".join(f"({i}) keep answers short, cite the file you read, never invent "
                            f"paths, prefer the standard library, explain each step {i}."
                            for i in range(1, 19))
)
SYSTEM_B = (
    "You are a terse data analyst that answers with numbers and units only. " * 3
    + "Conventions: " + " ".join(f"[{i}] round to two decimals, state the unit, show the "
                                 f"formula you used, never guess a missing value {i}."
                                 for i in range(1, 19))
)
QUESTIONS = [f"In one sentence: what does the Python builtin `{f}` do?"
             for f in ("zip", "enumerate", "sorted", "reversed", "divmod", "any", "all",
                       "isinstance")]


def _perf(llama):
    import llama_cpp

    return llama_cpp.llama_perf_context(llama._ctx.ctx)


def _reset_perf(llama) -> None:
    import llama_cpp

    llama_cpp.llama_perf_context_reset(llama._ctx.ctx)


def one_call(llama, question: str, gen: int, cold: bool, system: str = SYSTEM) -> dict:
    if cold:
        llama.reset()
    _reset_perf(llama)
    start = time.perf_counter()
    out = llama.create_chat_completion(
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
        max_tokens=gen, temperature=0.0, seed=0)
    wall = time.perf_counter() - start
    p = _perf(llama)
    prompt_tokens = out["usage"]["prompt_tokens"]
    return {
        "prompt_tokens": prompt_tokens,
        "evaluated": p.n_p_eval,
        "p_eval_s": p.t_p_eval_ms / 1000,
        "n_eval": p.n_eval,
        "eval_s": p.t_eval_ms / 1000,
        "wall_s": wall,
    }


def alternating(llama, gen: int, repeat: int, ram_cache_mb: int | None) -> dict:
    """Median prompt-eval time and evaluated tokens when two system prompts alternate."""
    from llama_cpp import LlamaRAMCache

    llama.set_cache(LlamaRAMCache(capacity_bytes=ram_cache_mb << 20) if ram_cache_mb else None)
    try:
        llama.reset()
        one_call(llama, QUESTIONS[0], 2, cold=False, system=SYSTEM)
        one_call(llama, QUESTIONS[1], 2, cold=False, system=SYSTEM_B)
        rows = [one_call(llama, QUESTIONS[(i + 2) % len(QUESTIONS)], gen, cold=False,
                         system=(SYSTEM, SYSTEM_B)[i % 2]) for i in range(2 * repeat)]
    finally:
        llama.set_cache(None)
    return {"evaluated": statistics.median(r["evaluated"] for r in rows),
            "p_eval_s": statistics.median(r["p_eval_s"] for r in rows),
            "wall_s": statistics.median(r["wall_s"] for r in rows)}


def bench_model(name: str, *, n_ctx: int, threads: int | None, gen: int, repeat: int,
                alternate: bool = False, ram_cache_mb: int | None = None) -> dict:
    from skvmc.models.local import get_llama, local_gguf

    t0 = time.perf_counter()
    llama = get_llama(n_ctx, local_gguf(name), threads).llama
    load_s = time.perf_counter() - t0
    one_call(llama, QUESTIONS[0], 4, cold=True)  # warm-up (page in the weights)
    cold, warm = [], []
    for i in range(repeat):
        cold.append(one_call(llama, QUESTIONS[(2 * i + 1) % len(QUESTIONS)], gen, cold=True))
        warm.append(one_call(llama, QUESTIONS[(2 * i + 2) % len(QUESTIONS)], gen, cold=False))

    def med(rows, f):
        return statistics.median(f(r) for r in rows)

    extra = {}
    if alternate:
        extra["alt_plain"] = alternating(llama, gen, repeat, None)
        if ram_cache_mb:
            extra["alt_ram"] = alternating(llama, gen, repeat, ram_cache_mb)
    return {**extra,
        "model": name, "threads": llama.n_threads, "load_s": load_s,
        "prompt_tokens": med(cold, lambda r: r["prompt_tokens"]),
        "cold_prompt_tps": med(cold, lambda r: r["evaluated"] / r["p_eval_s"]),
        "cold_prompt_s": med(cold, lambda r: r["p_eval_s"]),
        "prefix_evaluated": med(warm, lambda r: r["evaluated"]),
        "prefix_prompt_s": med(warm, lambda r: r["p_eval_s"]),
        "prefix_effective_tps": med(warm, lambda r: r["prompt_tokens"] / r["p_eval_s"]),
        "gen_tps_cold": med(cold, lambda r: r["n_eval"] / r["eval_s"]),
        "gen_tps_prefix": med(warm, lambda r: r["n_eval"] / r["eval_s"]),
        "wall_cold_s": med(cold, lambda r: r["wall_s"]),
        "wall_prefix_s": med(warm, lambda r: r["wall_s"]),
    }


def main(argv: list[str] | None = None) -> int:
    from skvmc.models.ladder import LADDER

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", default=["smollm2", *LADDER])
    ap.add_argument("--n-ctx", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=None,
                    help="llama.cpp threads (default: SKVMC_N_THREADS or half the cores)")
    ap.add_argument("--gen", type=int, default=32, help="tokens generated per call")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--alternate", action="store_true",
                    help="also measure two alternating system prompts")
    ap.add_argument("--ram-cache", type=int, default=None, metavar="MB",
                    help="with --alternate: compare llama-cpp-python's LlamaRAMCache of MB")
    args = ap.parse_args(argv)
    from skvmc.models import ModelError

    hdr = (f"{'model':<20} {'thr':>3} {'prompt':>6} {'cold p-eval':>12} {'prefix eval':>11} "
           f"{'prefix p-eval':>14} {'gen cold':>9} {'gen prefix':>10} {'wall cold':>9} "
           f"{'wall prefix':>11}")
    print(hdr)
    print(f"{'':<20} {'':>3} {'tokens':>6} {'tok/s':>12} {'tokens':>11} {'eff. tok/s':>14} "
          f"{'tok/s':>9} {'tok/s':>10} {'s':>9} {'s':>11}")
    for name in args.models:
        try:
            r = bench_model(name, n_ctx=args.n_ctx, threads=args.threads, gen=args.gen,
                            repeat=args.repeat, alternate=args.alternate,
                            ram_cache_mb=args.ram_cache)
        except ModelError as exc:
            print(f"{name:<20} skipped: {exc.message}")
            continue
        print(f"{r['model']:<20} {r['threads']:>3} {r['prompt_tokens']:>6.0f} "
              f"{r['cold_prompt_tps']:>12.1f} {r['prefix_evaluated']:>11.0f} "
              f"{r['prefix_effective_tps']:>14.1f} {r['gen_tps_cold']:>9.1f} "
              f"{r['gen_tps_prefix']:>10.1f} {r['wall_cold_s']:>9.2f} {r['wall_prefix_s']:>11.2f}",
              flush=True)
        for key, label in (("alt_plain", "alternating, no RAM cache"),
                           ("alt_ram", f"alternating, LlamaRAMCache {args.ram_cache} MB")):
            if key in r:
                a = r[key]
                print(f"{'':<20} {label}: {a['evaluated']:.0f} tokens evaluated, prompt-eval "
                      f"{a['p_eval_s']:.2f} s, wall {a['wall_s']:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
