"""Models reached through litellm: remote servers and, via a custom provider, the local one.

litellm is imported on the first call only (``import skvmc.models`` must stay cheap), and
before that import we switch off everything that would touch the network: litellm's
model price map is read from the copy bundled in the wheel, Hugging Face is offline.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable

from skvmc.models.base import Completion, Model, ModelError
from skvmc.models.retry import RetryPolicy, call_with_retry

_import_lock = threading.Lock()

# Providers that talk to a self-hosted server which accepts a JSON schema even though
# litellm's price map does not list the model.
_SCHEMA_CAPABLE_SERVERS = ("ollama", "ollama_chat", "hosted_vllm", "lm_studio", "llamafile",
                           "openai", "skvmc-local")


def import_litellm():
    """Import litellm with network look-ups disabled; quiet its console noise."""
    with _import_lock:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("LITELLM_LOG", "ERROR")
        # pydantic warns about litellm's own TypedDicts (at import and on first calls);
        # that is litellm's business, not the skvmc user's: hide just that warning.
        warnings.filterwarnings("ignore", message=r".*`ReadOnly` qualifier",
                                category=UserWarning)
        import litellm

        litellm.suppress_debug_info = True
        litellm.telemetry = False
        return litellm


def schema_response_format(schema: dict) -> dict:
    """The OpenAI-style ``response_format`` litellm translates for each provider."""
    return {"type": "json_schema",
            "json_schema": {"name": "output", "schema": schema, "strict": True}}


def json_object_response_format(schema: dict) -> dict:
    """The older form llama.cpp-style servers take (llama-cpp-python's server answers
    ``json_schema`` with HTTP 500 but constrains ``json_object`` to ``schema``)."""
    return {"type": "json_object", "schema": schema}


# Endpoints (api_base, or the model string without one) seen rejecting json_schema: they get
# json_object from then on, in this process.
_json_object_endpoints: set[str] = set()
_endpoints_lock = threading.Lock()


def _rejects_json_schema(exc: BaseException) -> bool:
    """A server answered a json_schema request with an HTTP error that may mean "unknown
    response_format" (500 from llama-cpp-python's server, 400/422 from others); a connection
    failure or timeout says nothing about the format."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "APIConnectionError" in names and "InternalServerError" not in names:
        return False  # litellm gives connection errors (and timeouts) status 500 too
    return getattr(exc, "status_code", None) in (400, 422, 500)


class LiteLLMModel(Model):
    """Any litellm model string: ``ollama/qwen2.5:7b``, ``openrouter/...``, ``openai/<name>``."""

    def __init__(
        self,
        model: str,
        api_base: str | None = None,
        *,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        retry: RetryPolicy | None = None,
        supports_schema: bool | None = None,
        completion_fn: Callable[..., object] | None = None,
        cost_fn: Callable[[object], float | None] | None = None,
        extra: dict | None = None,
    ):
        if not model or not isinstance(model, str):
            raise ModelError("config", f"model must be a non-empty string, got {model!r}")
        self.name = model
        self.api_base = api_base
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self._supports_schema = supports_schema
        # Tests pass a fake completion_fn; real runs use litellm.completion.
        self._completion_fn = completion_fn
        self._cost_fn = cost_fn
        self.extra = dict(extra or {})

    # -- capabilities -------------------------------------------------------------------
    @property
    def supports_schema(self) -> bool:  # type: ignore[override]
        if self._supports_schema is None:
            self._supports_schema = self._probe_schema_support()
        return self._supports_schema

    def _probe_schema_support(self) -> bool:
        provider = self.name.split("/", 1)[0] if "/" in self.name else ""
        if provider in _SCHEMA_CAPABLE_SERVERS:
            return True
        try:
            return bool(import_litellm().supports_response_schema(model=self.name))
        except Exception:  # noqa: BLE001 - unknown to litellm's map: do not promise a schema
            return False

    # -- the call -----------------------------------------------------------------------
    def _request(self, messages, schema, max_tokens, temperature) -> dict:
        kwargs = {
            "model": self.name,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "timeout": self.timeout_s,
            "max_retries": 0,  # we retry ourselves, with our own policy
        }
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        if schema is not None and self.supports_schema:
            kwargs["response_format"] = schema_response_format(schema)
        kwargs.update(self.extra)
        return kwargs

    @property
    def endpoint(self) -> str:
        return self.api_base or self.name

    def _complete(self, messages, schema, max_tokens, temperature, step) -> Completion:
        kwargs = self._request(messages, schema, max_tokens, temperature)
        fn = self._completion_fn or import_litellm().completion
        start = time.perf_counter()
        response = call_with_retry(lambda: self._call(fn, kwargs, schema), self.retry,
                                   what=f"{self.name}")
        latency = time.perf_counter() - start
        return self._to_completion(response, latency)

    def _call(self, fn, kwargs: dict, schema: dict | None):
        """One attempt. A json_schema request the endpoint rejects is re-sent once, at
        once, as json_object + schema, and the endpoint remembered: the failing form is
        sent at most once per endpoint and process, never retried."""
        fmt = kwargs.get("response_format")
        if fmt is None or fmt.get("type") != "json_schema" or schema is None:
            return fn(**kwargs)
        fallback = {**kwargs, "response_format": json_object_response_format(schema)}
        if self.endpoint in _json_object_endpoints:
            return fn(**fallback)
        try:
            return fn(**kwargs)
        except Exception as exc:
            if not _rejects_json_schema(exc):
                raise
            with _endpoints_lock:
                _json_object_endpoints.add(self.endpoint)
        return fn(**fallback)

    def _to_completion(self, response, latency: float) -> Completion:
        try:
            choice = _get(response, "choices")[0]
            text = _get(_get(choice, "message"), "content") or ""
        except (IndexError, KeyError, TypeError, AttributeError) as exc:
            raise ModelError("server", f"{self.name} returned no choices: {exc}") from exc
        usage = _get(response, "usage", None)
        prompt_tokens = int(_get(usage, "prompt_tokens", 0) or 0) if usage else 0
        completion_tokens = int(_get(usage, "completion_tokens", 0) or 0) if usage else 0
        return Completion(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost=self._cost(response),
            latency_s=latency,
            model=self.name,
        )

    def _cost(self, response) -> float | None:
        if self._cost_fn is not None:
            return self._cost_fn(response)
        try:
            cost = import_litellm().completion_cost(completion_response=response)
        except Exception:  # noqa: BLE001 - price unknown (self-hosted, new model)
            return None
        return float(cost) if cost is not None else None


def _get(obj, key, *default):
    """Read a field from a litellm ModelResponse or from a plain dict (fakes in tests)."""
    if isinstance(obj, dict):
        return obj[key] if not default else obj.get(key, default[0])
    if default:
        return getattr(obj, key, default[0])
    return getattr(obj, key)
