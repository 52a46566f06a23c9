"""The pass registry: pass name -> "module:Class", imported on first use.

Each pass lives in its own module here (installed as ``skvmc.passes.<module>``).
"""

REGISTRY: dict[str, str] = {
    "canonicalize": "skvmc.passes.canonicalize:Canonicalize",
    "infer-capabilities": "skvmc.passes.infer_capabilities:InferCapabilities",
    "lower-capabilities": "skvmc.passes.lower_capabilities:LowerCapabilities",
    "bind-env": "skvmc.passes.bind_env:BindEnv",
    "bind-harness": "skvmc.passes.bind_harness:BindHarness",
    "extract-concurrency": "skvmc.passes.extract_concurrency:ExtractConcurrency",
    "dead-step-elim": "skvmc.passes.dead_step_elim:DeadStepElim",
}


def default_pipeline(target: str) -> str:
    """The -O pipeline for MODEL+HARNESS: normalize, analyze, bind, lower, then clean up."""
    harness = target.split("+", 1)[1] if "+" in target else "bare"
    return ",".join([
        "canonicalize",
        "infer-capabilities",
        f"bind-harness{{harness={harness}}}",
        "dead-step-elim",
        f"lower-capabilities{{target={target}}}",
        "bind-env",
        "extract-concurrency",
        "canonicalize",
    ])
