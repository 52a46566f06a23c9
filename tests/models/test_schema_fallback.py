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
