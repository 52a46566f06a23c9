"""A llama-cpp-python-like server that 500s on response_format json_schema and takes
json_object + schema: the litellm backend switches once and remembers it per endpoint."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from skvmc.models import ModelError, RetryPolicy, litellm_backend, resolve

SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        fmt = req.get("response_format") or {}
        self.server.seen.append(fmt.get("type"))
        if fmt.get("type") == "json_schema" or self.server.always_500:
            self._send(500, {"error": {"message": "Internal Server Error", "code": 500}})
            return
        assert fmt.get("type") in (None, "json_object")
        if fmt:
            assert fmt["schema"] == SCHEMA
        self._send(200, {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": '{"ok": true}'}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}})


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    httpd.always_500 = False
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    litellm_backend._json_object_endpoints.discard(_base(httpd))


def _base(httpd) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}/v1"


def _model(httpd):
    return resolve("openai/local-llama", api_base=_base(httpd), api_key="x",
                   retry=RetryPolicy(attempts=4, sleep=lambda s: None), timeout_s=10)


MSG = [{"role": "user", "content": "ok?"}]


def test_json_schema_500_falls_back_once_and_is_remembered(server):
    m = _model(server)
    c = m.complete(MSG, schema=SCHEMA, max_tokens=8)
    assert json.loads(c.text) == {"ok": True}
    assert (c.prompt_tokens, c.completion_tokens) == (3, 4)
    assert server.seen == ["json_schema", "json_object"]
    # the endpoint is remembered: a second model on it goes straight to json_object
    _model(server).complete(MSG, schema=SCHEMA, max_tokens=8)
    assert server.seen == ["json_schema", "json_object", "json_object"]
    # calls without a schema send no response_format at all
    m.complete(MSG, max_tokens=8)
    assert server.seen[-1] is None


def test_failing_request_is_not_sent_four_times(server):
    server.always_500 = True
    with pytest.raises(ModelError) as e:
        _model(server).complete(MSG, schema=SCHEMA, max_tokens=8)
    assert e.value.kind == "server"
    assert server.seen.count("json_schema") == 1
    assert e.value.attempts == 4


def test_connection_refused_is_not_taken_for_a_format_rejection():
    err = type("APIConnectionError", (Exception,), {"status_code": 500})("refused")
    assert not litellm_backend._rejects_json_schema(err)
    err = type("InternalServerError", (Exception,), {"status_code": 500})("boom")
    assert litellm_backend._rejects_json_schema(err)


@pytest.mark.e2e
def test_real_llama_cpp_server(tmp_path):
    """llama-cpp-python's own server (llama-cpp-python[server]) on the embedded model: one
    500 on json_schema, then json_object + schema for every call."""
    import os
    import re
    import socket
    import subprocess
    import sys
    import time

    pytest.importorskip("llama_cpp.server.app", reason="pip install 'llama-cpp-python[server]'")
    from skvmc.models.local import gguf_path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", gguf_path(),
                                 "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024"],
                                stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.time() + 120
        while "Uvicorn running" not in log.read_text():
            assert proc.poll() is None and time.time() < deadline, log.read_text()
            time.sleep(0.3)
        base = f"http://127.0.0.1:{port}/v1"
        m = resolve("openai/smollm2", api_base=base, api_key="x", timeout_s=120)
        for _ in range(2):
            c = m.complete(MSG, schema=SCHEMA, max_tokens=16)
            assert isinstance(json.loads(c.text)["ok"], bool)
        statuses = re.findall(r'"POST /v1/chat/completions HTTP/1.1" (\d+)', log.read_text())
        assert statuses == ["500", "200", "200"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        litellm_backend._json_object_endpoints.discard(f"http://127.0.0.1:{port}/v1")
