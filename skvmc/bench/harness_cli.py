"""Real agent harnesses the bench can drive: how to configure, start and read each one
(pi, opencode and codex are CLIs; OpenHands is an SDK, driven by ``openhands_runner.py``).

Each harness gets a throwaway ``$HOME`` (so no user skill, config or session leaks in) with
its config pointing at ``skvmc serve``, runs non-interactively in the task's workdir, and
prints a JSON event stream on stdout, which is kept as the transcript. From it we read the
model calls, the token counts the harness reports, and the tool calls made. The install
commands are in docs/harnesses.md; the config keys in ../shared/reference/harnesses.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
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


def _event_type(line: str) -> str | None:
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event.get("type") if isinstance(event, dict) else None


class Harness:
    name = ""  # the descriptor name under targets/harnesses/
    binary = ""
    install = ""

    def missing(self) -> str | None:
        """Why this harness cannot run here, or None."""
        if shutil.which(self.binary) is None:
            return f"{self.binary} not on PATH (install: {self.install})"
        return None

    def home_root(self) -> Path | None:
        """Where the throwaway $HOME is made (None: the system's temporary directory)."""
        return None

    def configure(self, home: Path, ep: Endpoint) -> dict[str, str]:
        """Write the config under ``home``; the environment variables the run needs."""
        raise NotImplementedError

    def argv(self, ep: Endpoint, instruction: str) -> list[str]:
        raise NotImplementedError

    def session(self, home: Path) -> str:
        """A log the harness wrote under ``home`` during the run (kept beside the
        transcript and given to ``parse``), or ""."""
        return ""

    def parse(self, stdout: str, session: str = "") -> Transcript:
        raise NotImplementedError

    def kept(self, stdout: str) -> str:
        """The event stream as the results keep it (``parse`` reads the same from it)."""
        return stdout


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

    def parse(self, stdout: str, session: str = "") -> Transcript:
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

    def kept(self, stdout: str) -> str:
        """Without ``message_update`` events: each repeats the message so far as it streams
        (98% of the stream's bytes in the stop-13 runs); ``message_end`` has all of it."""
        return "".join(line for line in stdout.splitlines(keepends=True)
                       if '"message_update"' not in line or _event_type(line) != "message_update")


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

    def parse(self, stdout: str, session: str = "") -> Transcript:
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


def _toml(value) -> str:
    """A TOML value for a str, bool or int (JSON string escapes are TOML's too)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))


_EXIT = re.compile(r"(?:Process exited with code|Exit code:) (-?\d+)")


class Codex(Harness):
    """OpenAI codex CLI: ``$CODEX_HOME/config.toml`` with a ``model_provider`` whose
    ``base_url`` is skvmc serve and ``wire_api = "responses"`` (the only wire API codex
    speaks); ``codex exec --json`` prints thread/turn/item events (``turn.completed`` carries
    the usage summed over the turn's model calls). The usage of each model call is in the
    session log codex writes under ``$CODEX_HOME/sessions`` (``token_usage_record``), which
    is kept as the session transcript.

    The throwaway home is not under /tmp: codex refuses to put its helper binaries (the
    ``codex-linux-sandbox`` alias its bubblewrap sandbox runs) under a temporary directory,
    and every sandboxed command then fails with ``bwrap: execvp codex-linux-sandbox: No such
    file or directory`` (codex-cli 0.171.0)."""

    name, binary = "codex", "codex"
    install = "npm install -g @openai/codex"

    def home_root(self) -> Path:
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(cache) / "skvmc" / "harness-homes"
        root.mkdir(parents=True, exist_ok=True)
        return root

    def config(self, ep: Endpoint) -> str:
        top = {"model": ep.model, "model_provider": "skvmc",
               # an unknown model gets codex's fallback metadata (a 272k window): give it
               # the served window, and compact before a reply no longer fits
               "model_context_window": ep.n_ctx,
               "model_auto_compact_token_limit": max(1024, ep.n_ctx - ep.max_tokens),
               "check_for_update_on_startup": False}
        provider = {"name": "skvmc serve", "base_url": ep.api_base, "wire_api": "responses",
                    # one slow local model: no retried calls, and no 300 s idle cut-off
                    # while a long prompt is evaluated (the bench's timeout bounds the run)
                    "request_max_retries": 0, "stream_max_retries": 0,
                    "stream_idle_timeout_ms": 24 * 3600 * 1000}
        lines = [f"{k} = {_toml(v)}" for k, v in top.items()]
        lines += ["", "[model_providers.skvmc]"] + [f"{k} = {_toml(v)}"
                                                   for k, v in provider.items()]
        # codex's own bundled skills (imagegen, skill-creator, ...) would be listed next
        # to the task's skill in every condition, no-skill included
        lines += ["", "[skills.bundled]", "enabled = false", ""]
        return "\n".join(lines)

    def configure(self, home: Path, ep: Endpoint) -> dict[str, str]:
        codex_home = home / ".codex"
        codex_home.mkdir(parents=True, exist_ok=True)
        (codex_home / "config.toml").write_text(self.config(ep), encoding="utf-8")
        return {"CODEX_HOME": str(codex_home)}

    def argv(self, ep: Endpoint, instruction: str) -> list[str]:
        # workspace-write: commands run in codex's sandbox, writing the workdir (and /tmp),
        # no network; exec never asks for approval. --strict-config: a config key this
        # version does not know is an error, not silently ignored.
        return ["codex", "exec", "--json", "--color", "never", "--skip-git-repo-check",
                "--strict-config", "--sandbox", "workspace-write", "--model", ep.model,
                "--", instruction]

    def session(self, home: Path) -> str:
        logs = sorted((home / ".codex" / "sessions").glob("**/rollout-*.jsonl"))
        return "".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)

    def parse(self, stdout: str, session: str = "") -> Transcript:
        calls, turns, final, error = [], [], "", ""
        summed = (0, 0)  # turn.completed: the usage of all the turn's model calls
        commands = []  # command_execution / file_change items of the event stream
        for e in _events(stdout):
            kind = e.get("type")
            item = e.get("item") or {}
            if kind == "item.completed":
                if item.get("type") == "agent_message" and item.get("text"):
                    final = item["text"]
                elif item.get("type") == "command_execution":
                    commands.append({"tool": "exec_command", "args": _short(item.get("command")),
                                     "error": item.get("exit_code") not in (0, None)})
                elif item.get("type") == "file_change":
                    commands.append({"tool": "apply_patch", "args": _short(item.get("changes")),
                                     "error": item.get("status") == "failed"})
            elif kind in ("turn.completed", "turn.failed"):
                u = e.get("usage") or {}
                summed = (summed[0] + int(u.get("input_tokens", 0) or 0),
                          summed[1] + int(u.get("output_tokens", 0) or 0))
                if kind == "turn.failed":
                    error = _short((e.get("error") or {}).get("message", e.get("error")), 300)
            elif kind == "error":
                error = _short(e.get("message", e), 300)
        outputs: dict[str, str] = {}
        for e in _events(session):
            p = e.get("payload") or {}
            if e.get("type") == "token_usage_record":
                u = p.get("usage") or {}
                turns.append((int(u.get("input_tokens", 0) or 0),
                              int(u.get("output_tokens", 0) or 0)))
            elif e.get("type") == "response_item" and p.get("type") == "function_call":
                calls.append({"tool": p.get("name", ""), "id": p.get("call_id", ""),
                              "args": _short(p.get("arguments"))})
            elif e.get("type") == "response_item" and p.get("type") == "function_call_output":
                out = p.get("output")
                outputs[p.get("call_id", "")] = out if isinstance(out, str) else json.dumps(out)
        for c in calls:
            c["error"] = _call_failed(outputs.get(c.pop("id"), ""))
        if not session:  # no session log: the event stream's commands and summed usage
            calls = commands
            turns = [summed] if summed != (0, 0) else []
        return _transcript(turns, calls, final, error)


def _call_failed(output: str) -> bool:
    m = _EXIT.search(output[:400])
    if m:
        return m.group(1) != "0"
    return output.startswith(("unsupported call", "failed to parse", "unable to", "Error", "error"))


class OpenHands(Harness):
    """The OpenHands SDK (openhands-sdk, openhands-tools; Python >= 3.12, in a virtualenv
    of its own): ``openhands_runner.py`` beside this file, run with that virtualenv's
    Python, builds the SDK's default CLI agent over ``LLM(model="openai/M",
    base_url=skvmc serve)`` with the skills ``load_project_skills`` finds in the workdir,
    and prints the conversation's events, one ``usage`` line per model call and a summary.
    The Python is ``$SKVMC_OPENHANDS_PYTHON``, or ``~/.venvs/openhands/bin/python``."""

    name = "openhands"
    install = ("python3.12 -m venv ~/.venvs/openhands && ~/.venvs/openhands/bin/pip install "
               "openhands-sdk openhands-tools (or point SKVMC_OPENHANDS_PYTHON at a Python "
               "that has them)")
    runner = Path(__file__).with_name("openhands_runner.py")

    @property
    def binary(self) -> str:  # type: ignore[override]
        return os.environ.get("SKVMC_OPENHANDS_PYTHON") or str(
            Path.home() / ".venvs" / "openhands" / "bin" / "python")

    def missing(self) -> str | None:
        python = self.binary
        if not os.access(python, os.X_OK):
            return f"{python} not found (install: {self.install})"
        probe = ("import importlib.util as u, sys; sys.exit(0 if sys.version_info >= (3, 12) "
                 "and u.find_spec('openhands.sdk') and u.find_spec('openhands.tools') else 1)")
        try:
            ok = subprocess.run([python, "-c", probe], capture_output=True,
                                timeout=60).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if not ok:
            return (f"{python} is not Python >= 3.12 with openhands-sdk and openhands-tools "
                    f"(install: {self.install})")
        return None

    def configure(self, home: Path, ep: Endpoint) -> dict[str, str]:
        # litellm must not fetch its price map; the SDK keeps nothing outside $HOME
        return {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENHANDS_SUPPRESS_BANNER": "1",
                "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}

    def argv(self, ep: Endpoint, instruction: str) -> list[str]:
        return [self.binary, str(self.runner), "--base-url", ep.api_base, "--model", ep.model,
                "--max-tokens", str(ep.max_tokens), "--n-ctx", str(ep.n_ctx), "--", instruction]

    def parse(self, stdout: str, session: str = "") -> Transcript:
        calls, turns, final, error = [], [], "", ""
        by_id: dict[str, dict] = {}
        for e in _events(stdout):
            kind, what = e.get("type"), e.get("kind")
            if kind == "usage":
                turns.append((int(e.get("prompt_tokens", 0) or 0),
                              int(e.get("completion_tokens", 0) or 0)))
            elif kind == "summary":
                error = e.get("error") or error
            elif kind != "event":
                continue
            elif what == "ActionEvent":
                call = (e.get("tool_call") or {})
                c = {"tool": e.get("tool_name", ""), "args": _short(call.get("arguments")),
                     "error": False}
                calls.append(c)
                by_id[e.get("tool_call_id", "")] = c
                if e.get("tool_name") == "finish":
                    final = str((e.get("action") or {}).get("message") or final)
            elif what == "ObservationEvent":
                obs = e.get("observation") or {}
                failed = obs.get("is_error") or obs.get("exit_code") not in (None, 0)
                if failed and e.get("tool_call_id") in by_id:
                    by_id[e["tool_call_id"]]["error"] = True
            elif what == "AgentErrorEvent":
                c = by_id.get(e.get("tool_call_id", ""))
                if c is None:  # e.g. a tool that does not exist: no ActionEvent was made
                    c = {"tool": e.get("tool_name", ""), "args": "", "error": True}
                    calls.append(c)
                c["error"] = True
            elif what == "MessageEvent" and e.get("source") == "agent":
                parts = (e.get("llm_message") or {}).get("content") or []
                text = " ".join(p.get("text", "") for p in parts if isinstance(p, dict))
                final = text.strip() or final
        return _transcript(turns, calls, final, error)


HARNESSES: dict[str, type[Harness]] = {"pi": Pi, "opencode": OpenCode, "codex": Codex,
                                         "openhands": OpenHands}


def get(name: str) -> Harness:
    return HARNESSES[name]()


SKILL_TOOLS = ("skill", "invoke_skill")  # opencode's, OpenHands'


def skill_loaded(t: Transcript, skill_name: str) -> bool:
    """Whether the model loaded the skill itself: a call of a skill tool naming it, or any
    tool call whose arguments name its SKILL.md (read, cat ...)."""
    for c in t.tool_calls:
        args = c.get("args", "")
        if "SKILL.md" in args and skill_name in args:
            return True
        if c.get("tool") in SKILL_TOOLS and skill_name in args and not c.get("error"):
            return True
    return False


def skill_called_as_tool(t: Transcript, skill_name: str) -> bool:
    """The weak-model failure the binding routes address: the skill's name called as if it
    were a tool (``Tool 'csv-report' not found``)."""
    return any(c.get("tool") == skill_name for c in t.tool_calls)
