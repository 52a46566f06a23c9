"""Run one (task, condition, run) of the bench and grade it.

Conditions:
  no-skill      the agent loop with only the instruction
  original      the baseline runner with the task's original SKILL.md
  compiled      the skill compiled for the target, run as bytecode on the VM
  compiled+jit  the same after JIT warm-up runs (skvmc.vm.jit), if the JIT exists

The workdir is a fresh copy of ``environment/`` without ``environment/skills``; for the skill
conditions every installed skill's bundled files (``scripts/`` ...) are copied to the workdir
root, where SKILL.md's relative paths point. The task's ``tests/`` is copied in only AFTER the
agent has finished, then its pytest grader runs in a subprocess with a timeout.

A task may install several skills (``environment/skills/*``; task.toml ``skill`` names the
intended one, for the report only). ``original`` then lists every SKILL.md in the prompt, as a
harness lists its skills; ``compiled`` compiles each skill and lets the model pick the program
with one ASK over the skills' names and descriptions (an enum), then runs that program.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

import attrs

CONDITIONS = ("no-skill", "original", "compiled", "compiled+jit")
GRADER_TIMEOUT_S = 120


@attrs.frozen
class Task:
    id: str
    root: Path
    instruction: str
    skill_dir: Path | None  # the intended skill (task.toml ``skill``): for the report only
    timeout_s: float
    difficulty: str = ""
    skill_dirs: tuple[Path, ...] = ()  # every installed skill, in name order

    def __attrs_post_init__(self):
        if not self.skill_dirs and self.skill_dir is not None:
            object.__setattr__(self, "skill_dirs", (self.skill_dir,))


def load_task(root: Path) -> Task:
    root = Path(root)
    meta = tomllib.loads((root / "task.toml").read_text(encoding="utf-8"))
    skill = meta.get("skill")
    skills = root / "environment" / "skills"
    installed = tuple(sorted(p.parent for p in skills.glob("*/SKILL.md"))) if skills.is_dir() \
        else ()
    skill_dir = skills / skill if skill and (skills / skill).is_dir() else None
    if skill_dir is None and installed:
        skill_dir = installed[0]
    return Task(meta.get("id", root.name), root,
                (root / "instruction.md").read_text(encoding="utf-8"), skill_dir,
                float(meta.get("timeout_s", 300)), meta.get("difficulty", ""), installed)


def skill_card(skill_dir: Path) -> tuple[str, str]:
    """(name, description) from a SKILL.md's frontmatter; the folder name if it has none."""
    import yaml

    text = (Path(skill_dir) / "SKILL.md").read_text(encoding="utf-8")
    meta = {}
    if text.startswith("---"):
        head = text[3:].split("\n---", 1)[0]
        try:
            meta = yaml.safe_load(head) or {}
        except yaml.YAMLError:
            meta = {}
    meta = meta if isinstance(meta, dict) else {}
    return str(meta.get("name") or Path(skill_dir).name), str(meta.get("description") or "")


def load_tasks(tasks_dir: Path) -> list[Task]:
    return [load_task(p) for p in sorted(Path(tasks_dir).iterdir())
            if (p / "task.toml").is_file() and (p / "instruction.md").is_file()]


def trace_name(task_id: str, condition: str, run_index: int) -> str:
    """The file name of one run's trace in the bench's traces/ folder."""
    return f"{task_id}--{condition}--{run_index}.jsonl"


def prepare_workdir(task: Task, work_root: Path | None, with_skill: bool) -> Path:
    base = Path(work_root) if work_root else None
    if base:
        base.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"{task.id}-", dir=base))
    env = task.root / "environment"
    for item in env.iterdir():
        if item.name == "skills":
            continue
        dest = workdir / item.name
        if item.is_dir():
            shutil.copytree(item, dest)
        else:
            shutil.copy2(item, dest)
    if with_skill:
        for skill_dir in task.skill_dirs:  # bundled scripts/ etc., not SKILL.md itself
            for item in skill_dir.iterdir():
                if item.name != "SKILL.md":
                    _merge(item, workdir / item.name)
    return workdir


def _merge(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` without overwriting a file already there (the task's inputs,
    or an earlier skill's file of the same name)."""
    if src.is_dir():
        dest.mkdir(exist_ok=True)
        for item in src.iterdir():
            _merge(item, dest / item.name)
    elif not dest.exists():
        shutil.copy2(src, dest)


def grade(task: Task, workdir: Path, timeout_s: float = GRADER_TIMEOUT_S) -> dict:
    """Copy tests/ in (now that the agent is done) and run its pytest grader."""
    shutil.copytree(task.root / "tests", workdir / "tests", dirs_exist_ok=True)
    env = dict(os.environ, SKVMC_WORKDIR=str(workdir), PYTHONDONTWRITEBYTECODE="1")
    t0 = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "tests"], cwd=workdir, env=env, capture_output=True, text=True,
                              timeout=timeout_s, check=False)
        passed, out = proc.returncode == 0, (proc.stdout + proc.stderr)
    except subprocess.TimeoutExpired:
        passed, out = False, f"grader timed out after {timeout_s}s"
    return {"passed": passed, "grader_output": out.strip()[-600:],
            "grader_wall_s": round(time.monotonic() - t0, 3)}


# ------------------------------------------------------------------ conditions
def _totals_from_turns(turns, wall) -> dict:
    return {"model_calls": len(turns), "prompt_tokens": sum(t.prompt_tokens for t in turns),
            "completion_tokens": sum(t.completion_tokens for t in turns),
            "wall_s": round(wall, 3)}


def run_no_skill(task: Task, host, *, max_steps: int, max_tokens: int) -> dict:
    from skvmc.bytecode.isa import ACT_ALL
    from skvmc.vm.agent import AgentLoop, ModelError, RunTimeout, system_prompt

    t0 = time.monotonic()
    loop = AgentLoop(host, max_tokens=max_tokens, deadline=t0 + task.timeout_s,
                     step_key="no-skill")
    messages = [{"role": "system", "content": system_prompt(ACT_ALL, None)},
                {"role": "user", "content": task.instruction}]
    turns: list = []
    loop.on_turn = turns.append
    status, error = "ok", ""
    try:
        outcome = loop.run(messages, ACT_ALL, max_steps, None, tag="bench")
        if not outcome.ok:
            status, error = "failed", outcome.error
    except ModelError as exc:
        status, error = "model_error", str(exc)
    except RunTimeout:
        status, error = "timeout", f"timed out after {task.timeout_s}s"
    return {"agent_status": status, "error": error,
            **_totals_from_turns(turns, time.monotonic() - t0)}


def _from_run_result(r) -> dict:
    t = r.totals or {}
    return {"agent_status": r.status, "error": r.error,
            "model_calls": int(t.get("model_calls", 0)),
            "prompt_tokens": int(t.get("prompt_tokens", 0)),
            "completion_tokens": int(t.get("completion_tokens", 0)),
            "wall_s": round(float(t.get("wall_s", 0.0)), 3)}


def original_text(task: Task) -> str:
    """The skill text of the ``original`` prompt: the SKILL.md, or with several skills each
    one under its name, as a harness lists the skills it has installed."""
    texts = [(d, (d / "SKILL.md").read_text(encoding="utf-8")) for d in task.skill_dirs]
    if len(texts) == 1:
        return texts[0][1]
    parts = [f"{len(texts)} skills are installed; use the one that fits the task."]
    parts += [f"=== skill {skill_card(d)[0]} (skills/{d.name}/SKILL.md) ===\n{text}"
              for d, text in texts]
    return "\n\n".join(parts)


def run_original(task: Task, host, *, max_steps: int, max_tokens: int,
                 trace_path=None) -> dict:
    from skvmc.vm.baseline import run_baseline

    return _from_run_result(run_baseline(original_text(task), task.instruction, host,
                                         max_steps=max_steps, timeout=task.timeout_s,
                                         max_tokens=max_tokens, trace_path=trace_path))


PICK_TURNS = 2  # one answer, and one retry after the enum's error message


def pick_skill(task: Task, host, *, max_tokens: int) -> dict:
    """One ASK: which installed skill fits the task. The answer schema is an enum of the skill
    names, so a constrained decoder can only name one of them. Returns {"skill_dir" (None when
    no valid name came back), "picked", model_calls, prompt/completion tokens, wall_s}."""
    from skvmc.vm.agent import AgentLoop, ModelError, RunTimeout, system_prompt

    cards = {name: (d, desc) for d in task.skill_dirs for name, desc in [skill_card(d)]}
    schema = {"enum": sorted(cards)}
    preamble = ("Skills installed:\n"
                + "\n".join(f"- {n}: {desc}" for n, (_, desc) in sorted(cards.items()))
                + "\nAnswer with the name of the one skill to use for the task.")
    messages = [{"role": "system", "content": system_prompt(0, schema, preamble)},
                {"role": "user", "content": task.instruction}]
    t0 = time.monotonic()
    turns: list = []
    loop = AgentLoop(host, max_tokens=min(max_tokens, 64), deadline=t0 + task.timeout_s,
                     on_turn=turns.append, step_key="pick-skill")
    picked, error = None, ""
    try:
        outcome = loop.run(messages, 0, PICK_TURNS, schema, tag="pick")
        picked = outcome.value if outcome.ok else None
        error = outcome.error
    except (ModelError, RunTimeout) as exc:
        error = str(exc)
    res = {"picked": picked, "skill_dir": cards[picked][0] if picked in cards else None,
           "error": error and f"no skill picked: {error}",
           **_totals_from_turns(turns, time.monotonic() - t0)}
    return res


class Compiler:
    """Compiles each skill once per target, in process (``skvmc.compile.compile``, the same
    library call the CLI makes), so a bench always runs what the current compiler and
    profiles produce."""

    def __init__(self, out_dir: Path, target: str, granularity: str = "auto"):
        self.out_dir, self.target, self.granularity = Path(out_dir), target, granularity
        self._lock = threading.Lock()
        self._cache: dict[str, object] = {}

    def __getstate__(self):  # Ray workers get a fresh cache (a lock cannot be pickled)
        return {"out_dir": self.out_dir, "target": self.target, "granularity": self.granularity}

    def __setstate__(self, state):
        self.__init__(state["out_dir"], state["target"], state.get("granularity", "auto"))

    def program(self, skill_dir: Path):
        """(Program, skill dir) or raises RuntimeError with the compiler's diagnostics."""
        from skvmc.bytecode import decode
        from skvmc.compile import CompileOptions, compile
        from skvmc.diagnostics import CompileError

        with self._lock:
            key = str(skill_dir)
            if key not in self._cache:
                try:
                    files = compile(str(skill_dir), self.target,
                                    CompileOptions(backends=("prompt", "bytecode"),
                                                   granularity=self.granularity)).files
                    self._cache[key] = decode(files["skill.skbc"])
                except CompileError as err:
                    self._cache[key] = RuntimeError(f"compile failed: {str(err)[-600:]}")
            program = self._cache[key]
        if isinstance(program, RuntimeError):
            raise program
        return program, skill_dir


def jit_available() -> bool:
    try:
        import skvmc.vm.jit  # noqa: F401
    except ImportError:
        return False
    return True


def run_compiled(task: Task, host, program, *, max_steps: int, max_tokens: int,
                 jit=None, skill_dir: Path | None = None, trace_path=None) -> dict:
    from skvmc.vm.interp import run_program

    kw = {"jit": jit} if jit is not None else {}
    skill_dir = skill_dir or task.skill_dir
    if skill_dir is not None:  # $SKILL_DIR: the skill's own folder holds its bundle
        kw["inputs"] = {"skill_dir": str(Path(skill_dir).resolve())}
    return _from_run_result(run_program(program, host, task=task.instruction,
                                        max_steps=max_steps, timeout=task.timeout_s,
                                        concurrency=1, max_tokens=max_tokens,
                                        trace_path=trace_path, **kw))


# ------------------------------------------------------------------ one unit
def run_unit(task: Task, condition: str, run_index: int, model, *, compiler: Compiler,
             target: str, work_root: Path | None = None, max_steps: int = 8,
             max_tokens: int = 512, jit_warmup: int = 2, jit_root: Path | None = None,
             keep_workdir: bool = False, sandbox: str = "bwrap",
             trace_dir: Path | None = None) -> dict:
    from skvmc.vm.host import NullHost, SandboxHost

    def make_host(wd, env_allow=()):
        host = SandboxHost(wd, model, env_allow=env_allow, sandbox=sandbox,
                           skill_dir=task.skill_dir)
        for d in task.skill_dirs:  # every installed skill's folder is readable
            host.expose(str(d))
        return host

    rec = {"key": f"{task.id}|{condition}|{run_index}", "task": task.id,
           "condition": condition, "run": run_index, "status": "error", "passed": False,
           "agent_status": "", "error": "", "model_calls": 0, "prompt_tokens": 0,
           "completion_tokens": 0, "wall_s": 0.0, "warmup": None}
    if condition in ("original", "compiled", "compiled+jit") and not task.skill_dirs:
        rec.update(status="unavailable", error="task has no skill")
        return rec
    if condition == "compiled+jit" and not jit_available():
        rec.update(status="unavailable", error="skvmc.vm.jit is not available")
        return rec
    program, skill_dir, pick = None, task.skill_dir, None
    if condition.startswith("compiled") and len(task.skill_dirs) > 1:
        pick = pick_skill(task, NullHost(model), max_tokens=max_tokens)
        skill_dir = pick["skill_dir"]
        rec.update(intended_skill=task.skill_dir.name if task.skill_dir else None,
                   picked_skill=pick["picked"])
    if condition.startswith("compiled") and skill_dir is not None:
        try:
            program, _ = compiler.program(skill_dir)
        except RuntimeError as exc:
            rec.update(status="error", error=str(exc)[:600])
            if pick is not None:  # the pick's calls were made: they count
                rec.update({k: pick[k] for k in ("model_calls", "prompt_tokens",
                                                 "completion_tokens", "wall_s")})
            return rec
    jit = None
    if condition == "compiled+jit" and program is not None:
        from skvmc.vm.jit import controller_for

        root = Path(jit_root or tempfile.mkdtemp(prefix="skvmc-jit-")) / task.id
        if skill_dir != task.skill_dir:  # a wrong pick warms its own controller
            root = root / skill_dir.name
        jit = controller_for(program, target=target, threshold=max(1, jit_warmup), root=root)
        warm = {"runs": 0, "model_calls": 0, "prompt_tokens": 0, "completion_tokens": 0,
                "wall_s": 0.0}
        for _ in range(jit_warmup):  # warm-up runs are not graded, their cost is kept apart
            wd = prepare_workdir(task, work_root, True)
            try:
                r = run_compiled(task, make_host(wd), program, max_steps=max_steps,
                                 max_tokens=max_tokens, jit=jit, skill_dir=skill_dir)
            finally:
                shutil.rmtree(wd, ignore_errors=True)
            warm["runs"] += 1
            for k in ("model_calls", "prompt_tokens", "completion_tokens", "wall_s"):
                warm[k] = round(warm[k] + r[k], 3)
        rec["warmup"] = warm
    workdir = prepare_workdir(task, work_root, condition != "no-skill")
    # the run's trace (every model turn and instruction), kept beside the results
    trace = Path(trace_dir) / trace_name(task.id, condition, run_index) if trace_dir else None
    try:
        host = make_host(workdir, tuple(program.meta.get("env_allow", ())) if program else ())
        if condition == "no-skill":
            res = run_no_skill(task, host, max_steps=max_steps, max_tokens=max_tokens)
        elif condition == "original":
            res = run_original(task, host, max_steps=max_steps, max_tokens=max_tokens,
                               trace_path=trace)
        elif program is None:  # the model named no installed skill: nothing runs, graded as is
            res = {"agent_status": "failed", "error": pick["error"], "model_calls": 0,
                   "prompt_tokens": 0, "completion_tokens": 0, "wall_s": 0.0}
        else:
            res = run_compiled(task, host, program, max_steps=max_steps,
                               max_tokens=max_tokens, jit=jit, skill_dir=skill_dir,
                               trace_path=trace)
        if pick is not None:  # the pick is part of this run's cost
            for k in ("model_calls", "prompt_tokens", "completion_tokens", "wall_s"):
                res[k] = round(res[k] + pick[k], 3)
        rec.update(res)
        rec["tests_present_during_run"] = (workdir / "tests").exists()
        g = grade(task, workdir)
        rec.update(g, status="pass" if g["passed"] else "fail")
    finally:
        if not keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return rec


def run_unit_safely(unit: tuple, model, **kw) -> dict:
    """``run_unit`` for one (task, condition, run index); a crash becomes an error record, so
    one broken run never stops a bench (and this is what the matrix executors call)."""
    task, condition, index = unit
    try:
        return run_unit(task, condition, index, model, **kw)
    except Exception as exc:  # noqa: BLE001
        return {"key": f"{task.id}|{condition}|{index}", "task": task.id,
                "condition": condition, "run": index, "status": "error", "passed": False,
                "error": f"{type(exc).__name__}: {exc}"[:600], "model_calls": 0,
                "prompt_tokens": 0, "completion_tokens": 0, "wall_s": 0.0}
