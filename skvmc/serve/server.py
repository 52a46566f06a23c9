"""``skvmc serve MODEL [--port P]``: an OpenAI-compatible endpoint on 127.0.0.1 for a local
model (``smollm2``, a ladder model, or ``gguf:/path/model.gguf``).

    GET  /v1/models
    POST /v1/chat/completions   messages, tools -> tool_calls, stream (SSE) or not
    POST /v1/responses          the Responses API (input items, function tools,
                                function_call output items, streaming events), for codex

A stdlib ThreadingHTTPServer; generation is serialised per model by the model's lock
(llama.cpp is not re-entrant), other requests (/v1/models) are answered meanwhile.
Ctrl-C or SIGTERM stops it cleanly: the listening socket is closed, the model freed, exit 0.
"""

from __future__ import annotations

import argparse
import json
import select
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from skvmc.serve import responses
from skvmc.serve.engine import (
    REQUEST,
    Cancelled,
    Engine,
    RequestError,
    Turn,
    check_tools,
    gen_options,
    normalize_messages,
)

HOST = "127.0.0.1"  # never another interface: the server has no authentication


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


class App:
    """The endpoints, independent of the HTTP plumbing."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.created = int(time.time())

    def models(self) -> dict:
        return {"object": "list", "data": [{"id": self.engine.name, "object": "model",
                                            "created": self.created, "owned_by": "skvmc"}]}

    def _chat_args(self, body: dict):
        messages = normalize_messages(body.get("messages"))
        tools = check_tools(body.get("tools"))
        opts = gen_options(body)
        if body.get("tool_choice") == "none":
            tools = None
        elif tools:
            opts["tool_choice"] = body.get("tool_choice")
        return messages, tools, opts

    def chat(self, body: dict) -> dict:
        messages, tools, opts = self._chat_args(body)
        turn = self.engine.complete(messages, tools, **opts)
        message = {"role": "assistant", "content": turn.content}
        if turn.tool_calls:
            message["tool_calls"] = turn.tool_calls
        return {
            "id": _id("chatcmpl"), "object": "chat.completion", "created": int(time.time()),
            "model": self.engine.name,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": turn.finish_reason}],
            "usage": _usage(turn),
        }

    def chat_stream(self, body: dict):
        """Yield chat.completion.chunk dicts (the caller writes them as SSE)."""
        messages, tools, opts = self._chat_args(body)
        cid, created = _id("chatcmpl"), int(time.time())

        def chunk(delta: dict, finish=None) -> dict:
            return {"id": cid, "object": "chat.completion.chunk", "created": created,
                    "model": self.engine.name,
                    "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                 "finish_reason": finish}]}

        stream = self.engine.stream(messages, tools, **opts)
        first = next(stream)  # errors in the request surface before any byte is sent
        yield chunk({"role": "assistant", "content": ""})
        for item in _chain(first, stream):
            if isinstance(item, Turn):
                for i, call in enumerate(item.tool_calls):
                    yield chunk({"tool_calls": [{"index": i, **call}]})
                yield chunk({}, item.finish_reason)
                if (body.get("stream_options") or {}).get("include_usage"):
                    yield {"id": cid, "object": "chat.completion.chunk", "created": created,
                           "model": self.engine.name, "choices": [], "usage": _usage(item)}
            elif item:
                yield chunk({"content": item})

    def responses(self, body: dict) -> dict:
        messages, tools, opts = responses.to_chat(body)
        turn = self.engine.complete(messages, tools, **opts)
        return responses.response_object(body, self.engine.name, turn)

    def responses_stream(self, body: dict):
        """Yield (event type, data) pairs of the Responses API stream."""
        messages, tools, opts = responses.to_chat(body)
        stream = self.engine.stream(messages, tools, **opts)
        first = next(stream)
        yield from responses.stream_events(body, self.engine.name, _chain(first, stream))


def _chain(first, rest):
    yield first
    yield from rest


def _usage(turn: Turn) -> dict:
    return {"prompt_tokens": turn.prompt_tokens, "completion_tokens": turn.completion_tokens,
            "total_tokens": turn.prompt_tokens + turn.completion_tokens}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "skvmc-serve"
    app: App  # set on the subclass made by make_server

    def log_message(self, fmt, *args):
        if self.server.verbose:  # type: ignore[attr-defined]
            sys.stderr.write(f"skvmc serve: {self.address_string()} {fmt % args}\n")

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        self._json(status, {"error": {"message": message, "type": kind, "code": status}})

    def _path(self) -> str:
        path = self.path.split("?", 1)[0].rstrip("/")
        return path.removeprefix("/v1")

    def do_GET(self):
        path = self._path()
        if path == "/models":
            self._json(200, self.app.models())
        elif path in ("/models/" + self.app.engine.name,):
            self._json(200, self.app.models()["data"][0])
        elif path in ("", "/health"):
            self._json(200, {"status": "ok", "model": self.app.engine.name})
        else:
            self._error(404, f"no route GET {self.path}", "not_found_error")

    def do_POST(self):
        path = self._path()
        routes = {"/chat/completions": (self.app.chat, self.app.chat_stream, False),
                  "/responses": (self.app.responses, self.app.responses_stream, True)}
        if path not in routes:
            self._error(404, f"no route POST {self.path}", "not_found_error")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(body, dict):
                raise RequestError("the request body must be a JSON object")
        except (ValueError, json.JSONDecodeError) as exc:
            self._error(400, f"bad JSON body: {exc}")
            return
        once, stream, named_events = routes[path]
        REQUEST.client_gone = self._client_gone
        try:
            if body.get("stream"):
                self._sse(stream(body), named_events)
            else:
                self._json(200, once(body))
        except RequestError as exc:
            self._error(400, str(exc))
        except (BrokenPipeError, ConnectionResetError, Cancelled):
            self.close_connection = True  # the client went away
        except Exception as exc:  # noqa: BLE001 - report, keep serving
            self._error(500, f"{type(exc).__name__}: {exc}", "server_error")

    def _client_gone(self) -> bool:
        """True when the client closed its end (readable, and a peek reads nothing)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _sse(self, items, named_events: bool) -> None:
        items = iter(items)
        first = next(items)  # a RequestError is raised here, before the 200 goes out
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for item in _chain(first, items):
            if named_events:
                kind, data = item
                self.wfile.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode())
            else:
                self.wfile.write(f"data: {json.dumps(item)}\n\n".encode())
            self.wfile.flush()
        if not named_events:
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    verbose = False


def make_server(engine: Engine, port: int = 0, verbose: bool = False) -> Server:
    handler = type("BoundHandler", (Handler,), {"app": App(engine)})
    server = Server((HOST, port), handler)
    server.verbose = verbose
    return server


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="skvmc serve", description="Serve a local model as an OpenAI-compatible API on "
        "127.0.0.1 (/v1/models, /v1/chat/completions, /v1/responses). Ctrl-C or SIGTERM stops.")
    ap.add_argument("model", help="smollm2, qwen2.5-coder-0.5b, qwen2.5-coder-1.5b or "
                    "gguf:/path/model.gguf")
    ap.add_argument("--port", type=int, default=8000, help="TCP port (0: any free one)")
    ap.add_argument("--n-ctx", type=int, default=8192, help="context window to load")
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = ap.parse_args(argv)
    from skvmc.models import ModelError, local_model_name

    try:
        name = local_model_name(args.model)
    except ModelError:
        name = None
    if name is None:
        print(f"skvmc serve: error: {args.model!r} is not a local model (smollm2, a ladder "
              "model, or gguf:PATH)", file=sys.stderr)
        return 2
    try:
        engine = Engine(name, n_ctx=args.n_ctx, n_threads=args.threads)
        server = make_server(engine, args.port, args.verbose)
    except ModelError as exc:
        print(f"skvmc serve: error: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"skvmc serve: error: cannot listen on {HOST}:{args.port}: {exc.strerror}",
              file=sys.stderr)
        return 1

    stopping = threading.Event()

    def on_sigterm(signum, frame):
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)
    port = server.server_address[1]
    print(f"skvmc serve: {name} on http://{HOST}:{port}/v1 (Ctrl-C or SIGTERM to stop)",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        from skvmc.models.local import _close_all

        _close_all()
        print("skvmc serve: stopped", file=sys.stderr, flush=True)
    return 0
