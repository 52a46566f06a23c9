"""The profiler's runner: instances x levels x primitives through the agent loop, graded.

    records = run_matrix(plan_jobs(primitives, levels, instances, seed), model_factory, ...)
    summary = summarize(records, primitives, levels)
    profile = build_profile(summary, ...)

Each instance runs in its own temporary sandbox workdir (the instance's files written first)
through ``AgentLoop`` on a ``SandboxHost``, then ``generators.check`` grades it; no model
judges. A level passes when every instance of it passes. Instances that need the network
(tool.web, tool.browser) or a missing executable are ``unknown``, never failed.

Level resolution: a primitive's level is the highest L such that every level <= L passed
(L0 if L1 failed). A higher level that passed above a failed one is a *level inversion*: it
is recorded, not trusted. A primitive with any unknown level is left out of the profile
(unknown, treated as L0 by the compiler).
"""

from __future__ import annotations

import functools
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import attrs

from skvmc import matrix
from skvmc.profiler import generators

DEFAULT_MAX_TURNS = 3
DEFAULT_MAX_TOKENS = 384


@attrs.frozen
class Job:
    primitive: str
    level: int
    index: int
    seed: int

    @property
    def key(self) -> str:
        return f"{self.primitive}-L{self.level}-s{self.seed}-i{self.index}"


def plan_jobs(primitives: Iterable[str], levels: Iterable[int], instances: int,
              seed: int) -> list[Job]:
    return [Job(p, lv, i, seed) for p in primitives for lv in sorted(set(levels))
            for i in range(instances)]


def answer_text(value) -> str:
    """The agent's answer as the text the checker reads (JSON for structured answers)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def run_instance(job: Job, model, *, max_turns: int = DEFAULT_MAX_TURNS,
                 max_tokens: int = DEFAULT_MAX_TOKENS, timeout_s: float = 300.0,
                 keep_workdir: bool = False, sandbox: str = "bwrap") -> dict:
    """Run one instance in a fresh sandbox; a JSON-able record (status pass|fail|unknown)."""
    from skvmc.bytecode.isa import ACT_ALL
    from skvmc.vm.agent import AgentLoop, ModelError, RunTimeout, system_prompt
    from skvmc.vm.host import SandboxHost

    inst = generators.generate(job.primitive, job.level, job.seed, job.index)
    rec = {"key": job.key, "id": inst.id, "primitive": job.primitive, "level": job.level,
           "index": job.index, "seed": job.seed, "status": "unknown", "reason": "",
           "model_calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "wall_s": 0.0}
    if inst.requires_network:
        rec["reason"] = "requires network (offline profiler)"
        return rec
    missing = [exe for exe in inst.requires if shutil.which(exe) is None]
    if missing:
        rec["reason"] = "checker needs missing executable(s): " + ", ".join(missing)
        return rec
    t0 = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix=f"skvmc-prof-{job.primitive}-"))
    try:
        for rel, text in inst.files.items():
            path = workdir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        host = SandboxHost(workdir, model, timeout=min(60.0, timeout_s), sandbox=sandbox)
        messages = [{"role": "system", "content": system_prompt(ACT_ALL, None)},
                    {"role": "user", "content": inst.prompt}]
        loop = AgentLoop(host, max_tokens=max_tokens, deadline=time.monotonic() + timeout_s,
                         step_key=job.key)
        answer, error = "", ""
        try:
            outcome = loop.run(messages, ACT_ALL, max_turns, None, tag="profile")
            turns = outcome.turns
            answer = answer_text(outcome.value) if outcome.ok else ""
            error = "" if outcome.ok else outcome.error
        except (ModelError, RunTimeout) as exc:
            turns = []
            error = f"{type(exc).__name__}: {exc}"
        rec["model_calls"] = len(turns)
        rec["prompt_tokens"] = sum(t.prompt_tokens for t in turns)
        rec["completion_tokens"] = sum(t.completion_tokens for t in turns)
        result = generators.check(inst, workdir, answer)
        rec["status"] = "pass" if result.passed else "fail"
        rec["reason"] = (result.reason if result.passed or not error
                         else f"{error}; {result.reason}")[:300]
        rec["answer"] = answer[:300]
    finally:
        if not keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    rec["wall_s"] = round(time.monotonic() - t0, 3)
    return rec


# ------------------------------------------------------------------ checkpoint (resume)
def read_checkpoint(path: Path) -> dict[str, dict]:
    """Finished records by key; a torn last line (killed mid-write) is ignored."""
    done: dict[str, dict] = {}
    if not path.is_file():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and "key" in rec:
            done[rec["key"]] = rec
    return done


class Checkpoint:
    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            # a run killed mid-write leaves a torn last line: start ours on a fresh one
            if path.is_file() and path.stat().st_size:
                with open(path, "rb") as f:
                    f.seek(-1, os.SEEK_END)
                    torn = f.read(1) != b"\n"
                if torn:
                    with open(path, "a", encoding="utf-8") as f:
                        f.write("\n")

    def add(self, rec: dict) -> None:
        if not self.path:
            return
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())


# ------------------------------------------------------------------ progress
class Progress:
    """A bar on a TTY, plain lines otherwise (logs, CI)."""

    def __init__(self, total: int, stream=None, enabled: bool = True):
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._lock = threading.Lock()

    def update(self, rec: dict, resumed: bool = False) -> None:
        with self._lock:
            self.done += 1
            if not self.enabled:
                return
            tag = "resumed" if resumed else rec["status"]
            if self.tty:
                width = 30
                filled = int(width * self.done / max(1, self.total))
                self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] "
                                  f"{self.done}/{self.total} {rec['key'][:40]:<40} {tag:<7}")
                if self.done == self.total:
                    self.stream.write("\n")
            else:
                self.stream.write(f"[{self.done}/{self.total}] {rec['key']} {tag} "
                                  f"({rec.get('wall_s', 0)}s)\n")
            self.stream.flush()


def run_matrix(jobs: list[Job], model_factory: Callable[[], object], *, executor: str = "local",
               concurrency: int = 1, checkpoint: Path | None = None, resume: bool = False,
               progress: Progress | None = None, ray_address: str | None = None,
               **run_kw) -> list[dict]:
    """Run every job (skipping ones in the checkpoint when resuming); records in job order."""
    done = read_checkpoint(checkpoint) if (checkpoint and resume) else {}
    if checkpoint and not resume and checkpoint.exists():
        checkpoint.unlink()
    results: dict[str, dict] = {}
    for job in jobs:
        if job.key in done:
            results[job.key] = done[job.key]
            if progress:
                progress.update(done[job.key], resumed=True)
    todo = [j for j in jobs if j.key not in results]
    ckpt = Checkpoint(checkpoint)

    def on_done(rec):
        ckpt.add(rec)
        results[rec["key"]] = rec
        if progress:
            progress.update(rec)

    if todo:
        matrix.run_matrix(todo, functools.partial(run_instance, **run_kw), model_factory,
                          on_done=on_done, executor=executor, concurrency=concurrency,
                          ray_address=ray_address)
    return [results[j.key] for j in jobs]


# ------------------------------------------------------------------ summary
def summarize(records: list[dict], primitives: Iterable[str], levels: Iterable[int]) -> dict:
    """Per primitive: per-level pass counts, resolved level (None = unknown), inversions."""
    levels = sorted(set(levels))
    out: dict[str, dict] = {}
    for p in primitives:
        per_level = {}
        for lv in levels:
            recs = [r for r in records if r["primitive"] == p and r["level"] == lv]
            statuses = [r["status"] for r in recs]
            if any(s == "unknown" for s in statuses) or not recs:
                verdict = "unknown"
            else:
                verdict = "pass" if all(s == "pass" for s in statuses) else "fail"
            per_level[lv] = {
                "verdict": verdict, "passed": statuses.count("pass"), "total": len(recs),
                "failures": [{"id": r["id"], "reason": r["reason"]} for r in recs
                             if r["status"] == "fail"],
                "unknown": [{"id": r["id"], "reason": r["reason"]} for r in recs
                            if r["status"] == "unknown"]}
        resolved: int | None = 0
        for lv in levels:  # the first level that does not pass decides
            v = per_level[lv]["verdict"]
            if v == "pass":
                resolved = lv
                continue
            if v == "unknown":
                resolved = None
            break
        inversions = []
        if resolved is not None:
            inversions = [lv for lv in levels
                          if lv > resolved and per_level[lv]["verdict"] == "pass"]
        out[p] = {"level": resolved, "levels": {f"L{lv}": per_level[lv] for lv in levels},
                  "inversions": [f"L{lv}" for lv in inversions]}
    return out


def totals(records: list[dict]) -> dict:
    return {"instances": len(records),
            "passed": sum(r["status"] == "pass" for r in records),
            "failed": sum(r["status"] == "fail" for r in records),
            "unknown": sum(r["status"] == "unknown" for r in records),
            "model_calls": sum(r.get("model_calls", 0) for r in records),
            "prompt_tokens": sum(r.get("prompt_tokens", 0) for r in records),
            "completion_tokens": sum(r.get("completion_tokens", 0) for r in records),
            "instance_wall_s": round(sum(r.get("wall_s", 0.0) for r in records), 3)}


def machine() -> dict:
    return {"platform": platform.platform(), "machine": platform.machine(),
            "python": platform.python_version(), "cpu_count": os.cpu_count()}


def skvmc_version() -> str:
    try:
        from importlib.metadata import version
        return version("skvmc")
    except Exception:  # noqa: BLE001 - running from a source tree without metadata
        return "unknown"


def build_profile(summary: dict, *, model: str, harness: str, command: str, date: str,
                  seed: int, instances: int, levels: Iterable[int], tot: dict,
                  wall_s: float, budget: dict | None = None) -> dict:
    """The TCP JSON (skvmc shape, valid against targets/schemas/profile.schema.json).

    The schema's provenance has a fixed set of fields, so machine, seed, version, tokens and
    wall time go into ``notes`` as one JSON object (parse it with ``json.loads``)."""
    caps = {p: f"L{s['level']}" for p, s in sorted(summary.items()) if s["level"] is not None}
    inversions = {p: s["inversions"] for p, s in sorted(summary.items()) if s["inversions"]}
    unknown = sorted(p for p, s in summary.items() if s["level"] is None)
    notes = {"machine": machine(), "seed": seed, "skvmc_version": skvmc_version(),
             "instances_per_level": instances, "levels_run": sorted(set(levels)),
             "rule": "a level passes when all its instances pass; level = highest L with "
                     "every level <= L passing",
             "tokens": {"prompt": tot["prompt_tokens"], "completion": tot["completion_tokens"],
                        "total": tot["prompt_tokens"] + tot["completion_tokens"]},
             "model_calls": tot["model_calls"], "wall_s": round(wall_s, 3),
             "instances": {k: tot[k] for k in ("instances", "passed", "failed", "unknown")},
             "unknown_primitives": unknown, "level_inversions": inversions,
             "agent_budget": budget or {"max_turns": DEFAULT_MAX_TURNS,
                                        "max_tokens": DEFAULT_MAX_TOKENS}}
    return {"model": model, "harness": harness, "profiledAt": date, "capabilities": caps,
            "provenance": {"source": f"skvmc profile (skvmc {skvmc_version()})",
                           "command": command, "date": date, "measured": True,
                           "notes": json.dumps(notes, sort_keys=True)}}


def validate_profile(profile: dict) -> None:
    """Raise jsonschema.ValidationError if ``profile`` does not match the TCP schema."""
    import jsonschema

    schema_path = Path(__file__).resolve().parents[2] / "targets" / "schemas" / \
        "profile.schema.json"
    if not schema_path.is_file():
        from skvmc.targets.jsonload import HERE
        schema_path = Path(HERE) / "schemas" / "profile.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    jsonschema.validate(profile, schema)
