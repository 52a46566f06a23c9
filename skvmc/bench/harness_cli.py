"""Real agent CLIs the bench can drive: how to configure, start and read each one.

Each harness gets a throwaway ``$HOME`` (so no user skill, config or session leaks in) with
its config pointing at ``skvmc serve``, runs non-interactively in the task's workdir, and
prints a JSON event stream on stdout, which is kept as the transcript. From it we read the
model calls, the token counts the harness reports, and the tool calls made. The install
commands are in docs/harnesses.md; the config keys in ../shared/reference/harnesses.md.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import attrs


@attrs.frozen
class Endpoint:
    api_base: str  # http://127.0.0.1:PORT/v1
    model: str  # the served model's name
    n_ctx: int = 16384
    max_tokens: int = 1024


@attrs.frozen
class Transcript:
    """What one harness run did, read from its event stream."""

    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tool_calls: tuple = ()  # ({"tool": name, "args": short text, "error": bool}, ...)
    final_text: str = ""
    error: str = ""
    turns: tuple = ()  # (prompt tokens, completion tokens) per model call


def _short(value, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."


def _events(stdout: str):
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn line from a killed process


def _transcript(turns, calls, final, error) -> Transcript:
    return Transcript(len(turns), sum(t[0] for t in turns), sum(t[1] for t in turns),
                      tuple(calls), _short(final, 600), error, tuple(turns))


class Harness:
    name = ""  # the descriptor name under targets/harnesses/
    binary = ""
    install = ""

    def missing(self) -> str | None:
        """Why this harness cannot run here, or None."""
        if shutil.which(self.binary) is None:
            return f"{self.binary} not on PATH (install: {self.install})"
        return None

    def configure(self, home: Path, ep: Endpoint) -> dict[str, str]:
        """Write the config under ``home``; the environment variables the run needs."""
        raise NotImplementedError

    def argv(self, ep: Endpoint, instruction: str) -> list[str]:
        raise NotImplementedError

    def parse(self, stdout: str) -> Transcript:
        raise NotImplementedError


class Pi(Harness):
    """pi-coding-agent: ``models.json`` under ``PI_CODING_AGENT_DIR`` (docs/models.md of the
    package), ``--mode json`` events (docs/json.md): one ``message_end`` per message,
    assistant messages carry ``usage`` {input, output}."""

    name, binary = "pi", "pi"
    install = "npm install -g @mariozechner/pi-coding-agent"

    def configure(self, home: Path, ep: Endpoint) -> dict[str, str]:
        agent = home / ".pi" / "agent"
        agent.mkdir(parents=True, exist_ok=True)
        models = {"providers": {"skvmc": {
            "baseUrl": ep.api_base, "api": "openai-completions", "apiKey": "none",
            # the local server has no developer role and no reasoning effort
            "compat": {"supportsDeveloperRole": False, "supportsReasoningEffort": False},
            "models": [{"id": ep.model, "reasoning": False, "input": ["text"],
                        "contextWindow": ep.n_ctx, "maxTokens": ep.max_tokens}]}}}
        (agent / "models.json").write_text(json.dumps(models, indent=1), encoding="utf-8")
        # pi compacts when the context passes contextWindow - reserveTokens (16384 by
        # default, docs/compaction.md): with a 16k window that is after the first turn,
        # an extra summarising model call. Reserve what one answer needs instead.
        settings = {"compaction": {"enabled": True, "reserveTokens": ep.max_tokens + 1024}}
        (agent / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
        return {"PI_CODING_AGENT_DIR": str(agent), "PI_OFFLINE": "1"}

    def argv(self, ep: Endpoint, instruction: str) -> list[str]:
        return ["pi", "--model", f"skvmc/{ep.model}", "--mode", "json", "--no-session",
                "-p", instruction]

    def parse(self, stdout: str) -> Transcript:
        calls, turns, final, error = [], [], "", ""
        results: dict[str, bool] = {}
        for e in _events(stdout):
            if e.get("type") == "tool_execution_end":
                results[e.get("toolCallId", "")] = bool(e.get("isError"))
            if e.get("type") != "message_end":
                continue
            m = e.get("message") or {}
            if m.get("role") != "assistant":
                continue
            usage = m.get("usage") or {}
            turns.append((int(usage.get("input", 0) or 0),
                          int(usage.get("output", 0) or 0)))
            if m.get("errorMessage"):
                error = str(m["errorMessage"])[:300]
            for part in m.get("content") or ():
                if part.get("type") == "toolCall":
                    calls.append({"tool": part.get("name", ""), "id": part.get("id", ""),
                                  "args": _short(part.get("arguments"))})
                elif part.get("type") == "text" and part.get("text"):
                    final = part["text"]
        for c in calls:
            c["error"] = results.get(c.pop("id"), False)
        return _transcript(turns, calls, final, error)


class OpenCode(Harness):
    """opencode: a config file named by ``OPENCODE_CONFIG`` with an
    ``@ai-sdk/openai-compatible`` provider; ``opencode run --format json`` events."""

    name, binary = "opencode", "opencode"
    install = "npm install -g opencode-ai (and apt-get install ripgrep for its skill tool)"

    def missing(self) -> str | None:
        if shutil.which("rg") is None:  # offline, opencode cannot fetch ripgrep itself
            return "ripgrep (rg) not on PATH (install: apt-get install ripgrep)"
        return super().missing()

    def configure(self, home: Path, ep: Endpoint) -> dict[str, str]:
        cfg = {"$schema": "https://opencode.ai/config.json",
               "provider": {"skvmc": {
                   "npm": "@ai-sdk/openai-compatible", "name": "skvmc serve",
                   # opencode gives up on a response whose headers take 300 s (its
                   # default headerTimeout); a first 8k-token turn on a small CPU does.
                   # The bench's own per-run timeout bounds the run instead.
                   "options": {"baseURL": ep.api_base, "apiKey": "none", "timeout": False,
                               "headerTimeout": False},
                   "models": {ep.model: {"name": ep.model, "tool_call": True,
                                         "limit": {"context": ep.n_ctx,
                                                   "output": ep.max_tokens}}}}},
               "model": f"skvmc/{ep.model}", "autoupdate": False, "share": "disabled"}
        path = home / "opencode.json"
        path.write_text(json.dumps(cfg, indent=1), encoding="utf-8")
        return {"OPENCODE_CONFIG": str(path), "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_DATA_HOME": str(home / ".local" / "share"),
                "XDG_CACHE_HOME": str(home / ".cache"),
                "XDG_STATE_HOME": str(home / ".local" / "state")}

    def argv(self, ep: Endpoint, instruction: str) -> list[str]:
        # a title of our own: opencode then skips its title-generation model call
        return ["opencode", "run", "--format", "json", "--title", "skvmc bench",
                "-m", f"skvmc/{ep.model}", instruction]

    def parse(self, stdout: str) -> Transcript:
        calls, turns, final, error = [], [], "", ""
        for e in _events(stdout):
            kind = e.get("type")
            part = e.get("part") or {}
            if kind == "step_finish":
                tokens = part.get("tokens") or {}
                turns.append((int(tokens.get("input", 0) or 0),
                              int(tokens.get("output", 0) or 0)))
            elif kind == "tool_use":
                state = part.get("state") or {}
                calls.append({"tool": part.get("tool", ""), "args": _short(state.get("input")),
                              "error": state.get("status") == "error"})
            elif kind == "text" and part.get("text"):
                final = part["text"]
            elif kind == "error":
                error = _short(e.get("error"), 300)
        return _transcript(turns, calls, final, error)


HARNESSES: dict[str, type[Harness]] = {"pi": Pi, "opencode": OpenCode}


def get(name: str) -> Harness:
    return HARNESSES[name]()


def skill_loaded(t: Transcript, skill_name: str) -> bool:
    """Whether the model loaded the skill itself: a call of a skill tool naming it, or any
    tool call whose arguments name its SKILL.md (read, cat ...)."""
    for c in t.tool_calls:
        args = c.get("args", "")
        if "SKILL.md" in args and skill_name in args:
            return True
        if c.get("tool") == "skill" and skill_name in args and not c.get("error"):
            return True
    return False


def skill_called_as_tool(t: Transcript, skill_name: str) -> bool:
    """The weak-model failure the binding routes address: the skill's name called as if it
    were a tool (``Tool 'csv-report' not found``)."""
    return any(c.get("tool") == skill_name for c in t.tool_calls)
