"""``skvmc serve``: a local model (smollm2, a ladder model, a gguf: file) behind an
OpenAI-compatible HTTP API on 127.0.0.1, so real harnesses (codex, opencode, aider, any
OpenAI client) can drive it. ``server`` is the HTTP side, ``engine`` one chat turn on the
model, ``toolcalls`` the model's tool-call text format, ``responses`` the Responses API."""
