"""JIT solidification: model-written step code that is stable across runs becomes a template.

For each model-driven step (skill + version + target + pc) the controller records what the
model did: the code it executed (exit 0), the files it wrote and its answer. Literals in that
code which come from the step's inputs (the task text, the step prompt) are abstracted into
typed parameters (``path``, ``int``, ``float``, ``str``). When ``threshold`` runs produced the
same abstracted code for inputs of the same shape, the step is *promoted*: later runs execute
the template directly, with no model call. Parameters never meet a shell: Python scripts get
them as one JSON argv item, bash scripts as environment variables used quoted, file writes go
through the sandboxed host. A failing template (non-zero exit, failed postcondition) falls
back to the model for that run; ``demote_after`` failures un-promote the step.

State lives in one JSON file per skill version + target under :func:`cache_dir`.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import re
import sys
import threading
import time
import tokenize
from pathlib import Path

import attrs

from skvmc.dialects import skill
from skvmc.fsutil import atomic_write_json

DEFAULT_THRESHOLD = 3
DEFAULT_DEMOTE_AFTER = 2
HISTORY_CAP = 20


def cache_dir() -> Path:
    """``$SKVMC_CACHE_DIR``, else ``$XDG_CACHE_HOME/skvmc/jit``, else ``~/.cache/skvmc/jit``."""
    if os.environ.get("SKVMC_CACHE_DIR"):
        return Path(os.environ["SKVMC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "skvmc" / "jit"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", name or "_")[:80] or "_"


# -- keys and the store -----------------------------------------------------------------------
@attrs.frozen
class SkillKey:
    skill: str
    version: str
    target: str

    @property
    def filename(self) -> str:
        return f"{_safe(self.skill)}@{_safe(self.version)[:16]}--{_safe(self.target)}.json"


def skill_key_for(program, target: str | None = None) -> SkillKey:
    """The key of a compiled program: meta skill/target, version = source hash or a hash of
    the bytecode (so a recompiled program starts with fresh observations)."""
    meta = program.meta or {}
    version = meta.get("source_hash")
    if not version or version == "-":
        from skvmc.bytecode import encode
        try:
            version = hashlib.sha256(encode(program)).hexdigest()[:16]
        except Exception:  # noqa: BLE001 - an unencodable program still gets a key
            version = hashlib.sha256(repr((program.consts, program.code)).encode()).hexdigest()
    return SkillKey(str(meta.get("skill") or "skill"), str(version)[:16],
                    str(target or meta.get("target") or "default"))


class JitStore:
    """One JSON file per skill version + target, written atomically (temp file + rename)."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else cache_dir()

    def path(self, key: SkillKey) -> Path:
        return self.root / key.filename

    def load(self, key: SkillKey) -> dict:
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("steps"), dict):
                return data
        except (OSError, ValueError):
            pass
        return {"skill": key.skill, "version": key.version, "target": key.target, "steps": {}}

    def save(self, key: SkillKey, data: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.path(key), data)

    def entries(self) -> list[tuple[Path, dict]]:
        out = []
        for p in sorted(self.root.glob("*.json")) if self.root.is_dir() else []:
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and isinstance(data.get("steps"), dict):
                out.append((p, data))
        return out

    def clear(self, skill: str | None = None) -> int:
        n = 0
        for p, data in self.entries():
            if skill is None or data.get("skill") == skill:
                p.unlink(missing_ok=True)
                n += 1
        return n


# -- parameters: literals in the inputs ---------------------------------------------------------
_PATH = re.compile(r"(?<![\w/.~-])(?:[A-Za-z0-9_][\w.-]*/)*[A-Za-z0-9_][\w-]*(?:\.[\w-]+)*"
                   r"\.[A-Za-z][A-Za-z0-9]{0,7}(?![\w/])")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w]|\.\d)")
_QUOTED = re.compile(r"\"([^\"\n]{1,200})\"|`([^`\n]{1,200})`")
_SAFE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*\Z")


class ParamError(ValueError):
    """A parameter value that may not reach a template (bad type, path leaving the workdir)."""


def extract_params(inputs: dict) -> tuple[dict, str]:
    """Typed candidate parameters found in the inputs, and the inputs' *skeleton* (the text
    with each candidate replaced by its parameter name). Two inputs with the same skeleton
    have the same shape; only their literals differ."""
    params: dict[str, dict] = {}
    skeleton_parts = []
    for source in sorted(inputs):
        text = inputs[source]
        if not isinstance(text, str):
            text = json.dumps(text, sort_keys=True, default=str)
        spans = []  # (start, end, kind, value)
        taken = [False] * (len(text) + 1)

        def claim(s, e, taken=taken):
            if any(taken[s:e]):
                return False
            for i in range(s, e):
                taken[i] = True
            return True

        for m in _QUOTED.finditer(text):
            g = 1 if m.group(1) is not None else 2
            if claim(m.start(g), m.end(g)):
                spans.append((m.start(g), m.end(g), "str", m.group(g)))
        for m in _PATH.finditer(text):
            if claim(m.start(), m.end()):
                spans.append((m.start(), m.end(), "path", m.group()))
        for m in _NUMBER.finditer(text):
            if claim(m.start(), m.end()):
                kind = "float" if "." in m.group() else "int"
                spans.append((m.start(), m.end(), kind, m.group()))
        spans.sort()
        counters: dict[str, int] = {}
        out, last = [], 0
        for s, e, kind, raw in spans:
            n = counters.get(kind, 0)
            counters[kind] = n + 1
            name = f"{_safe(source)}_{kind}{n}"
            params[name] = {"type": kind, "value": _typed(kind, raw)}
            out.append(text[last:s] + "{" + name + "}")
            last = e
        out.append(text[last:])
        skeleton_parts.append(f"{source}={''.join(out)}")
    return params, "\n".join(skeleton_parts)


def _typed(kind: str, raw: str):
    return int(raw) if kind == "int" else float(raw) if kind == "float" else raw


def validate_param(kind: str, value):
    """The value checked for its type; ParamError if it may not reach a template."""
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(f"not an int: {value!r}")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(f"not a number: {value!r}")
        return float(value)
    if not isinstance(value, str) or "\x00" in value:
        raise ParamError(f"not a string: {value!r}")
    if kind == "path":
        if (not _SAFE_PATH.match(value) or value.startswith("/") or ".." in value.split("/")):
            raise ParamError(f"path must stay relative inside the workdir: {value!r}")
        return value
    if kind == "str":
        return value
    raise ParamError(f"unknown parameter type {kind!r}")


# -- abstraction of the model's code ------------------------------------------------------------
def _python_abstract(code: str, params: dict) -> tuple[str, str] | None:
    """(template code, normalized form) with input literals replaced by ``_P[name]``;
    None if the code does not tokenize."""
    by_value = {}
    for name, p in sorted(params.items()):
        by_value.setdefault((p["type"] in ("int", "float"), str(p["value"])), name)
    strs = sorted(((v, n) for (isnum, v), n in by_value.items() if not isnum and len(v) >= 3),
                  key=lambda t: -len(t[0]))
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    lines = code.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def pos(rc):
        return offsets[rc[0] - 1] + rc[1]

    edits, norm = [], []
    for t in toks:
        if t.type in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING):
            continue
        text = t.string
        if t.type == tokenize.NUMBER:
            name = by_value.get((True, text))
            if name:
                edits.append((pos(t.start), pos(t.end), f"_P[{name!r}]"))
                text = f"<{name}>"
        elif t.type == tokenize.STRING and re.match(r"[rRuU]?['\"]", text):
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                value = None
            if isinstance(value, str):
                expr = _string_expr(value, strs, by_value)
                if expr is not None:
                    edits.append((pos(t.start), pos(t.end), expr))
                    text = f"<{expr}>"
        norm.append(text)
    out, last = [], 0
    for s, e, rep in sorted(edits):
        out.append(code[last:s] + rep)
        last = e
    out.append(code[last:])
    return "".join(out), " ".join(norm)


def _string_expr(value: str, strs, by_value) -> str | None:
    whole = by_value.get((True, value)) or by_value.get((False, value))
    if whole:
        kind_num = (True, value) in by_value
        return f"str(_P[{whole!r}])" if kind_num else f"_P[{whole!r}]"
    for lit, name in strs:
        if lit in value:
            parts = value.split(lit)
            pieces = []
            for i, part in enumerate(parts):
                if i:
                    pieces.append(f"_P[{name!r}]")
                if part:
                    inner = _string_expr(part, strs, by_value)
                    pieces.append(inner if inner else repr(part))
            return "(" + " + ".join(pieces or ["''"]) + ")"
    return None


def _bash_abstract(code: str, params: dict) -> tuple[str, str]:
    """Bash: input literals become ``"${SKVM_P_name}"`` (inside double quotes ``${...}``);
    a literal inside single quotes is left as is (it then pins the template's inputs)."""
    lines = [ln for ln in code.splitlines() if not ln.lstrip().startswith("#")]
    text = "\n".join(lines)
    items = sorted(((str(p["value"]), n) for n, p in params.items()
                    if len(str(p["value"])) >= (1 if p["type"] in ("int", "float") else 3)),
                   key=lambda t: -len(t[0]))
    for lit, name in items:
        pat = re.compile(r"(?<![\w.$/-])" + re.escape(lit) + r"(?![\w/-]|\.\w)")
        out, last = [], 0
        for m in pat.finditer(text):
            quote = _quote_state(text, m.start())
            if quote == "'":
                continue
            var = "${SKVM_P_" + name + "}"
            out.append(text[last:m.start()] + (var if quote == '"' else f'"{var}"'))
            last = m.end()
        out.append(text[last:])
        text = "".join(out)
    return text, " ".join(text.split())


def _quote_state(text: str, at: int) -> str:
    state, i = "", text.rfind("\n", 0, at) + 1
    while i < at:
        c = text[i]
        if c == "\\" and state != "'":
            i += 2
            continue
        if state == "" and c in "'\"":
            state = c
        elif state == c:
            state = ""
        i += 1
    return state


def _abstract_text(value: str, params: dict) -> str:
    """File contents / answers: literal input values become ``{{name}}`` placeholders."""
    items = sorted(((str(p["value"]), n) for n, p in params.items()
                    if p["type"] in ("path", "str") and len(str(p["value"])) >= 3),
                   key=lambda t: -len(t[0]))
    for lit, name in items:
        value = value.replace(lit, "{{" + name + "}}")
    return value


def _fill_text(value: str, params: dict) -> str:
    return re.sub(r"\{\{([A-Za-z0-9_]+)\}\}",
                  lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0),
                  value)


def _exit_of(result: str) -> int | None:
    m = re.match(r"exit code (-?\d+)", result or "")
    return int(m.group(1)) if m else None


def observe(outcome, inputs: dict, files_written=()) -> dict | None:
    """The abstracted record of one successful model-driven step, or None if nothing in it can
    be replayed (e.g. the model only answered)."""
    params, skeleton = extract_params(inputs)
    actions, raw = [], []
    last_stdout = None
    for turn in getattr(outcome, "turns", []):
        act = turn.action or {}
        kind = act.get("action")
        if kind == "exec":
            code_exit = _exit_of(turn.result)
            if code_exit != 0:
                continue  # failed attempts are not part of what the step did
            m = re.search(r"stdout:\n(.*?)(?:\nstderr:\n|\Z)", turn.result or "", re.DOTALL)
            last_stdout = m.group(1) if m else ""
            if isinstance(act.get("code"), str):
                lang = ("bash" if skill.fence_kind(str(act.get("language", "python")))
                        == skill.SHELL else "python")
                raw.append({"kind": "code", "language": lang, "code": act["code"]})
                if lang == "python":
                    res = _python_abstract(act["code"], params)
                    if res is None:
                        return None
                else:
                    res = _bash_abstract(act["code"], params)
                actions.append({"kind": "code", "language": lang, "code": res[0],
                                "norm": res[1]})
            elif isinstance(act.get("argv"), list):
                argv = [str(a) for a in act["argv"]]
                raw.append({"kind": "argv", "argv": argv})
                args = [_abstract_text(a, params) for a in argv]
                actions.append({"kind": "argv", "argv": args, "norm": json.dumps(args)})
        elif kind == "write" and isinstance(act.get("path"), str) and \
                not (turn.result or "").startswith("error"):
            content = act.get("content", "")
            if not isinstance(content, str):
                content = json.dumps(content)
            raw.append({"kind": "write", "path": act["path"]})
            path, body = _abstract_text(act["path"], params), _abstract_text(content, params)
            actions.append({"kind": "write", "path": path, "content": body,
                            "norm": json.dumps([path, " ".join(body.split())])})
    if not actions:
        return None
    value = getattr(outcome, "value", None)
    if isinstance(value, str) and last_stdout is not None and value.strip() == \
            last_stdout.strip() and value.strip():
        answer = {"from": "stdout"}
    else:
        answer = {"from": "value", "value": _abstract_text(value, params)
                  if isinstance(value, str) else value}
    used = set()
    blob = json.dumps(actions) + json.dumps(answer, default=str)
    for name in params:
        if f"_P[{name!r}]" in blob or "SKVM_P_" + name + "}" in blob or \
                "{{" + name + "}}" in blob:
            used.add(name)
    # Input literals still present verbatim pin the template to inputs with those values.
    pinned = {n: p["value"] for n, p in params.items() if n not in used
              and len(str(p["value"])) >= 2 and any(
                  str(p["value"]) in (a.get("code") or a.get("content") or "") +
                  " ".join(a.get("argv", [])) + a.get("path", "") for a in actions)}
    sig_src = json.dumps({"skeleton": skeleton, "norm": [a["norm"] for a in actions],
                          "pinned": pinned}, sort_keys=True, default=str)
    return {"signature": hashlib.sha256(sig_src.encode()).hexdigest()[:16],
            "skeleton": skeleton,
            "params": {n: params[n]["type"] for n in sorted(used)},
            "example": {n: params[n]["value"] for n in sorted(used)},
            "pinned": pinned,
            "actions": [{k: v for k, v in a.items() if k != "norm"} for a in actions],
            "answer": answer, "raw": raw, "files": sorted(files_written)}


# -- templates ------------------------------------------------------------------------------------
@attrs.define
class TemplateResult:
    ok: bool
    value: object = None
    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""
    error: str = ""


@attrs.define
class Template:
    step_id: str
    data: dict
    bound: dict  # parameter name -> validated value

    @property
    def signature(self) -> str:
        return self.data.get("signature", "")

    def run(self, host, env: dict | None = None, timeout: float | None = None,
            cancel=None, network: bool = False) -> TemplateResult:
        """Execute the template's actions in order through ``host`` (sandboxed runner)."""
        from skvmc.vm.host import SandboxError

        stdout, code = "", 0
        pjson = json.dumps(self.bound)
        penv = dict(env or {})
        for name, value in self.bound.items():
            penv["SKVM_P_" + name] = str(value)
        tag = "".join(c if c.isalnum() else "_" for c in self.step_id)
        try:
            for i, act in enumerate(self.data["actions"]):
                if act["kind"] == "write":
                    path = _fill_text(act["path"], self.bound)
                    validate_param("path", path)
                    host.write_file(path, _fill_text(act["content"], self.bound))
                    continue
                if act["kind"] == "code":
                    if act["language"] == "python":
                        script = ("import json as _skvm_json, sys as _skvm_sys\n"
                                  "_P = _skvm_json.loads(_skvm_sys.argv.pop(1))\n" + act["code"])
                        path = f".skvm/jit-{tag}-{i}.py"
                        host.write_file(path, script)
                        argv = [sys.executable, path, pjson]
                    else:
                        path = f".skvm/jit-{tag}-{i}.sh"
                        host.write_file(path, act["code"])
                        argv = ["bash", path]
                else:
                    # each argv item is one process argument: no shell ever parses it
                    argv = [_fill_text(a, self.bound) for a in act["argv"]]
                r = host.run(argv, env=penv, timeout=timeout, cancel=cancel, network=network)
                code, stdout = r.exit_code, r.stdout
                if r.exit_code != 0:
                    return TemplateResult(False, None, r.exit_code, r.stdout, r.stderr,
                                          f"template exited with {r.exit_code}")
        except (SandboxError, ParamError) as exc:
            return TemplateResult(False, None, 1, stdout, "", str(exc))
        ans = self.data.get("answer") or {}
        if ans.get("from") == "stdout":
            value = stdout
        else:
            value = ans.get("value")
            if isinstance(value, str):
                value = _fill_text(value, self.bound)
        return TemplateResult(True, value, code, stdout)


# -- the controller ---------------------------------------------------------------------------
class JitController:
    """Observes model-driven steps, promotes stable ones, serves and demotes templates."""

    def __init__(self, store: JitStore | None, skill_key: SkillKey,
                 threshold: int = DEFAULT_THRESHOLD, demote_after: int = DEFAULT_DEMOTE_AFTER):
        self.store = store if store is not None else JitStore()
        self.key = skill_key
        self.threshold = max(1, int(threshold))
        self.demote_after = max(1, int(demote_after))
        self.data = self.store.load(skill_key)
        self._lock = threading.Lock()
        self._pending: dict[str, tuple] = {}  # step -> ("obs", record) | ("solid", template)
        self._dirty = False
        self._snaps: dict = {}  # (branch, pc) -> workdir files before the model ran
        self.events: list[dict] = []

    def step(self, step_id: str) -> dict:
        return self.data["steps"].setdefault(step_id, {
            "state": "observing", "runs": 0, "failures": 0, "solid_runs": 0,
            "demotions": 0, "observations": {}, "template": None, "history": []})

    def _event(self, st: dict, step_id: str, what: str, **extra):
        ev = {"event": what, "time": round(time.time(), 3), **extra}
        st["history"] = (st["history"] + [ev])[-HISTORY_CAP:]
        self.events.append({"step": step_id, **ev})
        self._dirty = True

    # API used by the VM ------------------------------------------------------------------
    def before_ask(self, step_id: str, inputs: dict, retry: bool = False) -> Template | None:
        """A template to run instead of the model, or None. ``retry`` says the step is asked
        again after a failed check: a template that ran for it has failed."""
        with self._lock:
            pending = self._pending.pop(step_id, None)
            if retry and pending is not None:
                if pending[0] == "solid":
                    self._solid_failed(step_id, "postcondition check failed")
                return None  # a retried step (or a failed template) goes to the model
            st = self.data["steps"].get(step_id)
            if not st or st["state"] != "promoted" or not st.get("template"):
                return None
            tmpl = st["template"]
            params, skeleton = extract_params(inputs)
            if skeleton != tmpl["skeleton"]:
                return None
            if any(params.get(n, {}).get("value") != v for n, v in tmpl["pinned"].items()):
                return None
            try:
                bound = {n: validate_param(t, params[n]["value"])
                         for n, t in tmpl["params"].items()}
            except (KeyError, ParamError):
                return None
            t = Template(step_id, tmpl, bound)
            self._pending[step_id] = ("solid", t)
            return t

    def after_ask(self, step_id: str, outcome, inputs: dict, files_written=()) -> None:
        """Record a model-driven run of the step (counted once its checks pass: see finish)."""
        if not getattr(outcome, "ok", False):
            return
        rec = observe(outcome, inputs, files_written)
        with self._lock:
            if rec is not None:
                self._pending[step_id] = ("obs", rec)
            else:
                self._pending.pop(step_id, None)

    def solid_failed(self, step_id: str, why: str = "failed") -> None:
        with self._lock:
            self._pending.pop(step_id, None)
            self._solid_failed(step_id, why)

    def _solid_failed(self, step_id: str, why: str) -> None:
        st = self.step(step_id)
        st["failures"] += 1
        self._event(st, step_id, "solid_failed", why=why[:200])
        if st["failures"] >= self.demote_after and st["state"] == "promoted":
            st.update(state="demoted", template=None, observations={}, failures=0)
            st["demotions"] += 1
            self._event(st, step_id, "demoted")

    def _commit(self, step_id: str, rec: dict) -> None:
        st = self.step(step_id)
        st["runs"] += 1
        obs = st["observations"].setdefault(rec["signature"], {"count": 0})
        obs["count"] += 1
        obs["last"] = {k: rec[k] for k in ("skeleton", "params", "example", "pinned",
                                           "actions", "answer", "raw", "files")}
        obs["last"]["signature"] = rec["signature"]
        # Keep the store small: the 8 most seen shapes.
        if len(st["observations"]) > 8:
            keep = sorted(st["observations"].items(), key=lambda kv: -kv[1]["count"])[:8]
            st["observations"] = dict(keep)
        self._dirty = True
        if st["state"] != "promoted" and obs["count"] >= self.threshold:
            st.update(state="promoted", template=dict(obs["last"]), failures=0)
            self._event(st, step_id, "promoted", signature=rec["signature"], runs=obs["count"])

    def finish(self) -> None:
        """End of run: steps whose checks passed count (observation or template success);
        then the state is saved."""
        with self._lock:
            pending, self._pending = self._pending, {}
            for step_id, (kind, item) in sorted(pending.items()):
                if kind == "obs":
                    self._commit(step_id, item)
                else:
                    st = self.step(step_id)
                    st["solid_runs"] += 1
                    st["failures"] = 0
                    self._dirty = True
            self.save()

    def save(self) -> None:
        if self._dirty:
            self.store.save(self.key, self.data)
            self._dirty = False

    # VM hooks (skvmc.vm.interp.AskHooks): only the public AskStep API ----------------------
    def before_model(self, step) -> int | None:
        """Run the step's template when it is promoted; the next pc when that succeeded."""
        step_id = str(step.pc)
        self._snaps[(step.branch, step.pc)] = _snapshot(step.host)
        tmpl = self.before_ask(step_id, step_inputs(step), retry=step.retrying)
        if tmpl is None:
            return None
        t0 = time.monotonic()
        res = tmpl.run(step.host, env=step.env, timeout=step.remaining(), cancel=step.cancel,
                       network=step.network)
        fields = {"solidified": True, "template": tmpl.signature, "model_calls": 0,
                  "turns": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0,
                  "solid_latency_s": round(time.monotonic() - t0, 6),
                  "exit_code": res.exit_code, "params": tmpl.bound}
        if not res.ok:
            self.solid_failed(step_id, res.error or res.stderr[-200:])
            step.note(solid_error=(res.error or "")[:200], **fields)
            return None
        step.note(result=str(res.value)[:200], **fields)
        # One more check retry: a failing postcondition re-asks the step, now with the model.
        step.allow_retry()
        return step.answer(res.value, res.exit_code)

    def after_model(self, step, outcome) -> None:
        before = self._snaps.pop((step.branch, step.pc), None)
        files = _changed(before, _snapshot(step.host)) if before is not None else []
        trace = os.path.realpath(step.trace_path) if step.trace_path else None
        root = getattr(step.host, "workdir", ".")
        files = [f for f in files if os.path.realpath(os.path.join(root, f)) != trace]
        self.after_ask(str(step.pc), outcome, step_inputs(step), files)


def step_inputs(step) -> dict:
    """What a step's parameters may come from: the task, the step prompt, the run inputs."""
    inputs = {"input_" + k: v for k, v in step.inputs.items()}
    inputs.update(task=step.task, prompt=step.prompt)
    return inputs


def _snapshot(host, cap: int = 2000) -> dict:
    root = getattr(host, "workdir", None)
    out: dict = {}
    if root is None or not Path(root).is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".skvm"]
        for f in filenames:
            p = os.path.join(dirpath, f)
            try:
                out[os.path.relpath(p, root)] = os.stat(p).st_mtime_ns
            except OSError:
                pass
            if len(out) >= cap:
                return out
    return out


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(p for p, m in after.items() if before.get(p) != m)


def controller_for(program, *, target: str | None = None, threshold: int = DEFAULT_THRESHOLD,
                   demote_after: int = DEFAULT_DEMOTE_AFTER, root=None) -> JitController:
    return JitController(JitStore(root), skill_key_for(program, target), threshold, demote_after)
