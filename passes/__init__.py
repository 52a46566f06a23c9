"""The pass registry: pass name -> "module:Class", imported on first use.

Each pass lives in its own module here (installed as ``skvmc.passes.<module>``); the lowering
patterns and code translators it uses sit beside it (``capability_patterns``,
``capability_translate``); the analyses that passes and backends share are in
``skvmc.passes.analysis``.
"""

from skvmc.moved import alias

# The analyses moved to skvmc.passes.analysis; their old names stay importable.
alias({f"skvmc.passes.{name}": f"skvmc.passes.analysis.{name}"
       for name in ("capability_rules", "dataflow", "pydeps", "shell_words")})

REGISTRY: dict[str, str] = {
    "canonicalize": "skvmc.passes.canonicalize:Canonicalize",
    "infer-capabilities": "skvmc.passes.infer_capabilities:InferCapabilities",
    "lower-capabilities": "skvmc.passes.lower_capabilities:LowerCapabilities",
    "bind-env": "skvmc.passes.bind_env:BindEnv",
    "bind-harness": "skvmc.passes.bind_harness:BindHarness",
    "extract-concurrency": "skvmc.passes.extract_concurrency:ExtractConcurrency",
    "dead-step-elim": "skvmc.passes.dead_step_elim:DeadStepElim",
}


def default_pipeline(target: str | None = None, mode: str = "partial") -> str:
    """The -O pipeline for MODEL+HARNESS: normalize, analyze, bind, lower, then clean up.

    Without a target only the target-independent passes run (no harness binding, no lowering).
    Dead-step elimination runs after harness binding (which marks other-product instructions)
    and before lowering, so nothing is lowered that is then thrown away.
    """
    import json

    passes = ["canonicalize", "infer-capabilities"]
    if target:
        harness = target.rsplit("+", 1)[1]
        # Values are quoted: a target's model part may be a file path.
        passes.append(f"bind-harness{{harness={json.dumps(harness)}}}")
    passes.append("dead-step-elim")
    if target:
        passes.append(f"lower-capabilities{{target={json.dumps(target)} mode={mode}}}")
    passes += ["bind-env", "extract-concurrency", "canonicalize"]
    return ",".join(passes)
