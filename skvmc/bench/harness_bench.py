"""One bench run inside a real harness (``skvmc bench --harness pi|opencode|codex|openhands``).

The workdir is the task's ``environment/`` without its skills, as for the VM conditions. The
skill goes where the harness discovers it:
  no-skill   nothing
  original   the task's skill folder, unchanged, under the harness's project skill path
  compiled   the prompt backend's layout for MODEL+HARNESS (the compiled SKILL.md, its
             bundle, and the context file when the harness-binding route writes one)
The harness runs in its own process group with a throwaway $HOME, killed as a group at the
task's timeout; its JSON event stream is kept as the transcript (and a session log the
harness writes under $HOME, codex's, beside it). The grader runs after the
harness has exited (``runner.grade``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from skvmc.bench import harness_cli, runner

CONDITIONS = ("no-skill", "original", "compiled")


class LayoutCache:
    """The compiled layout (relative path -> bytes) per skill, compiled once per bench."""

    def __init__(self, target: str, binding_route: str = "auto", output_check: bool = False):
        self.target, self.binding_route, self.output_check = target, binding_route, output_check
        self._lock = threading.Lock()
        self._cache: dict[str, object] = {}

    def files(self, skill_dir: Path) -> tuple[dict[str, bytes], dict]:
        from skvmc.compile import CompileOptions, compile
        from skvmc.diagnostics import CompileError

        with self._lock:
            key = str(skill_dir)
            if key not in self._cache:
                try:
                    got = compile(str(skill_dir), self.target,
                                  CompileOptions(backends=("prompt", "report"),
                                                 binding_route=self.binding_route,
                                                 harness_output_check=self.output_check))
                    report = json.loads(got.files["report.json"])
                    layout = {p: b for p, b in got.files.items()
                              if p not in ARTIFACTS}
                    self._cache[key] = (layout, report)
                except CompileError as err:
                    self._cache[key] = RuntimeError(f"compile failed: {str(err)[-600:]}")
            got = self._cache[key]
        if isinstance(got, RuntimeError):
            raise got
        return got


# Files a compile writes for the user, not for the harness to discover.
ARTIFACTS = {"report.json", "skill.skir", "env-setup.sh", "skill.skbc", "skill.skasm",
             "dag.dot", "dag.mmd"}


def install_original(workdir: Path, task: runner.Task, harness) -> list[str]:
    dest = workdir / project_skill_root(harness) / task.skill_dir.name
    shutil.copytree(task.skill_dir, dest)
    return [str(dest.relative_to(workdir))]


def project_skill_root(harness) -> str:
    from skvmc.targets import get_harness

    return get_harness(harness.name).project_path or ".agents/skills"


def install_compiled(workdir: Path, files: dict[str, bytes]) -> list[str]:
    """Write the layout; a context file the task already has gets ours appended."""
    for rel, data in files.items():
        dest = workdir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists() and "/" not in rel:  # e.g. an AGENTS.md of the project
            data = dest.read_bytes().rstrip(b"\n") + b"\n\n" + data
        dest.write_bytes(data)
    return sorted(files)


def run_process(argv: list[str], cwd: Path, env: dict, timeout_s: float) -> tuple:
    """(returncode or None on timeout, stdout, stderr, wall seconds); the whole process
    group is killed at the timeout (harnesses start helpers of their own)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout_s)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        code = None
    except BaseException:  # Ctrl-C of the bench: leave no harness behind
        _kill_group(proc)
        proc.wait()
        raise
    return code, out or "", err or "", time.monotonic() - t0


def _kill_group(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def base_env(home: Path) -> dict[str, str]:
    """A small environment: PATH and locale from ours, everything else of the harness's own."""
    keep = ("PATH", "LANG", "LC_ALL", "TERM", "TZ")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(HOME=str(home), NO_COLOR="1", CI="1")
    return env


def run_unit(task: runner.Task, condition: str, index: int, *, harness: harness_cli.Harness,
             endpoint: harness_cli.Endpoint, layouts: LayoutCache, out_dir: Path,
             work_root: Path | None = None, timeout_s: float | None = None) -> dict:
    key = f"{task.id}|{condition}|{index}"
    rec = {"key": key, "task": task.id, "condition": condition, "run": index,
           "harness": harness.name, "status": "error", "passed": False, "agent_status": "",
           "error": "", "model_calls": 0, "prompt_tokens": 0, "completion_tokens": 0,
           "wall_s": 0.0, "warmup": None}
    if condition != "no-skill" and task.skill_dir is None:
        rec.update(status="unavailable", error="task has no skill")
        return rec
    layout, report = ({}, None)
    if condition == "compiled":
        try:
            layout, report = layouts.files(task.skill_dir)
        except RuntimeError as exc:
            rec.update(error=str(exc)[:600])
            return rec
        rec["binding"] = (report or {}).get("binding")
    workdir = runner.prepare_workdir(task, work_root, with_skill=False)
    home = Path(tempfile.mkdtemp(prefix=f"home-{harness.name}-", dir=harness.home_root()))
    try:
        if condition == "original":
            rec["installed"] = install_original(workdir, task, harness)
        elif condition == "compiled":
            rec["installed"] = install_compiled(workdir, layout)
        env = base_env(home) | harness.configure(home, endpoint)
        limit = timeout_s or task.timeout_s
        code, out, err, wall = run_process(harness.argv(endpoint, task.instruction), workdir,
                                           env, limit)
        transcript_dir = out_dir / "transcripts"
        transcript_dir.mkdir(parents=True, exist_ok=True)
        name = key.replace("|", "--")
        (transcript_dir / f"{name}.jsonl").write_text(harness.kept(out), encoding="utf-8")
        (transcript_dir / f"{name}.stderr").write_text(err[-20000:], encoding="utf-8")
        session = harness.session(home)
        if session:
            (transcript_dir / f"{name}.session.jsonl").write_text(session, encoding="utf-8")
        t = harness.parse(out, session)
        status = "timeout" if code is None else ("ok" if code == 0 else "failed")
        rec.update(agent_status=status, model_calls=t.model_calls,
                   prompt_tokens=t.prompt_tokens, completion_tokens=t.completion_tokens,
                   wall_s=round(wall, 3), tool_calls=list(t.tool_calls),
                   turns=[list(x) for x in t.turns],
                   final_text=t.final_text, transcript=f"transcripts/{name}.jsonl",
                   error=(f"timed out after {limit}s" if code is None else
                          t.error or ("" if code == 0 else err.strip()[-300:])))
        if task.skill_dir is not None and condition != "no-skill":
            rec["skill_loaded"] = harness_cli.skill_loaded(t, task.skill_dir.name)
            rec["skill_called_as_tool"] = harness_cli.skill_called_as_tool(
                t, task.skill_dir.name)
        rec["tests_present_during_run"] = (workdir / "tests").exists()
        g = runner.grade(task, workdir)
        rec.update(g, status="pass" if g["passed"] else "fail")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    return rec


def run_unit_safely(unit: tuple, _model=None, **kw) -> dict:
    """``run_unit`` for the matrix executor; a crash becomes an error record."""
    task, condition, index = unit
    try:
        return run_unit(task, condition, index, **kw)
    except Exception as exc:  # noqa: BLE001
        return {"key": f"{task.id}|{condition}|{index}", "task": task.id,
                "condition": condition, "run": index, "status": "error", "passed": False,
                "error": f"{type(exc).__name__}: {exc}"[:600], "model_calls": 0,
                "prompt_tokens": 0, "completion_tokens": 0, "wall_s": 0.0}


# ------------------------------------------------------------------ wiring for bench/cli.py
DEFAULT_CONDITIONS = "no-skill,original,compiled,compiled+jit"  # the VM bench's default


def check_args(args, conditions: list[str]) -> str | None:
    """The problem with a --harness bench's arguments, or None. Drops compiled+jit from the
    default conditions (the JIT is the VM's; a harness has none)."""
    if args.harness not in harness_cli.HARNESSES:
        return (f"unknown harness {args.harness!r}; choose from "
                f"{', '.join(harness_cli.HARNESSES)}")
    if args.conditions == DEFAULT_CONDITIONS:
        conditions[:] = list(CONDITIONS)
    bad = [c for c in conditions if c not in CONDITIONS]
    if bad:
        return f"--harness runs {', '.join(CONDITIONS)}, not {', '.join(bad)}"
    if args.executor != "local" or args.concurrency != 1:
        return "--harness runs one at a time on the local executor (one model server)"
    missing = harness_cli.get(args.harness).missing()
    if missing and not args.report_only:
        return f"harness {args.harness} is not installed: {missing}"
    if args.target == "smollm2+bare":  # the VM default: compile for this model+harness
        args.target = f"{args.model}+{args.harness}"
    return None


class Work:
    """What the matrix executor calls per unit; holds the server for the whole bench."""

    def __init__(self, args, out: Path, work_root: Path | None):
        self.harness = harness_cli.get(args.harness)
        self.args, self.out, self.work_root = args, out, work_root
        self.layouts = LayoutCache(args.target, getattr(args, "binding_route", "auto"),
                                   getattr(args, "harness_output_check", False))
        self.server = None
        self.old_sigterm = None
        self.endpoint: harness_cli.Endpoint | None = None

    def __call__(self, unit: tuple, _model=None) -> dict:
        return run_unit_safely(unit, harness=self.harness, endpoint=self.endpoint,
                               layouts=self.layouts, out_dir=self.out,
                               work_root=self.work_root, timeout_s=self.args.timeout)


def work_for(args, out: Path, work_root) -> Work:
    return Work(args, out, Path(work_root) if work_root else None)


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # so a SIGTERM of the bench also kills the running harness


def start_server(args, work: Work, out: Path) -> None:
    """Start ``skvmc serve`` (or use --api-base, a server already running)."""
    from skvmc.bench.serving import Server

    if threading.current_thread() is threading.main_thread():
        work.old_sigterm = signal.signal(signal.SIGTERM, _interrupt)

    api_base = args.api_base
    if not api_base:
        work.server = Server(args.model, n_ctx=args.n_ctx, log=out / "serve.log")
        api_base = work.server.start()
        if not args.quiet:
            print(f"skvmc bench: {args.model} served on {api_base}", file=sys.stderr,
                  flush=True)
    name = args.model.split("/")[-1]
    work.endpoint = harness_cli.Endpoint(api_base.rstrip("/"), name, args.n_ctx,
                                         max(256, args.max_tokens))


def stop_server(work) -> None:
    if not isinstance(work, Work):
        return
    if work.server is not None:
        work.server.stop()
    if work.old_sigterm is not None:
        signal.signal(signal.SIGTERM, work.old_sigterm)
