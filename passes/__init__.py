"""The pass registry: pass name -> "module:Class", imported on first use.

Each pass lives in its own module here (installed as ``skvmc.passes.<module>``); the lowering
patterns and code translators it uses sit beside it (``capability_patterns``,
``capability_translate``); the analyses that passes and backends share are in
``skvmc.passes.analysis``.
"""

import importlib
import importlib.abc
import importlib.util
import sys

# The analyses moved to skvmc.passes.analysis; their old names stay importable, as the same
# module objects (so code and branches written against them keep working).
MOVED = {f"skvmc.passes.{name}": f"skvmc.passes.analysis.{name}"
         for name in ("capability_rules", "dataflow", "pydeps", "shell_words")}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name in MOVED else None

    def create_module(self, spec):
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module):  # already executed under its new name
        pass


if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _MovedFinder())

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
