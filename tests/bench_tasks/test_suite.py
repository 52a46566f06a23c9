"""The bench task suite is self-consistent: every reference solution passes its grader,
an untouched environment fails it, and every task.toml / SKILL.md is well formed."""
import os
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

TASKS_DIR = Path(__file__).resolve().parents[2] / "bench" / "tasks"
TASKS = sorted(p for p in TASKS_DIR.iterdir() if (p / "task.toml").is_file())
TASK_IDS = [p.name for p in TASKS]
REQUIRED_KEYS = {"id", "skill", "difficulty", "tags", "timeout_s", "grader"}


def _run_solution(task: Path, workdir: Path) -> None:
    solve_py, solve_sh = task / "solution" / "solve.py", task / "solution" / "solve.sh"
    cmd = [sys.executable, str(solve_py)] if solve_py.exists() else ["bash", str(solve_sh)]
    subprocess.run(cmd, cwd=workdir, check=True, capture_output=True, timeout=60)


def _grade(task: Path, workdir: Path) -> subprocess.CompletedProcess:
    # plugin autoload off: graders need plain pytest, and startup is 3x faster
    env = dict(os.environ, SKVMC_WORKDIR=str(workdir), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(workdir),
         str(task / "tests" / "test_outputs.py")],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def _trial(task: Path, base: Path, solved: bool) -> subprocess.CompletedProcess:
    workdir = base / f"{task.name}-{'solved' if solved else 'untouched'}"
    shutil.copytree(task / "environment", workdir)
    if solved:
        _run_solution(task, workdir)
    return _grade(task, workdir)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Runs all 2 x N grader subprocesses concurrently once: {(task_id, solved): result}."""
    base = tmp_path_factory.mktemp("bench")
    jobs = [(t, s) for t in TASKS for s in (True, False)]
    with ThreadPoolExecutor(max_workers=max(4, (os.cpu_count() or 2) * 2)) as pool:
        results = list(pool.map(lambda job: _trial(job[0], base, job[1]), jobs))
    return {(t.name, s): r for (t, s), r in zip(jobs, results)}


def test_suite_size():
    skills = {tomllib.loads((t / "task.toml").read_text())["skill"] for t in TASKS}
    assert len(TASKS) >= 24
    assert len(skills) >= 8


def test_suite_has_the_kinds_issue_12_asks_for():
    metas = [tomllib.loads((t / "task.toml").read_text()) for t in TASKS]
    tags = [set(m["tags"]) for m in metas]
    for kind in ("bundled-script", "code", "reference", "multi-skill", "container-paths"):
        assert sum(kind in t for t in tags) >= 2, kind
    assert {m["difficulty"] for m in metas} == {"easy", "medium", "hard"}
    for task, t in zip(TASKS, tags):
        installed = sorted(p.parent.name for p in (task / "environment/skills").glob("*/SKILL.md"))
        assert ("multi-skill" in t) == (len(installed) > 1), task.name
        if "container-paths" in t:
            assert "/root/" in (task / "instruction.md").read_text() or \
                "/app/" in (task / "instruction.md").read_text(), task.name


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_bundles_do_not_collide(task_id):
    """The bench copies every installed skill's bundle to the workdir root: no two skills may
    ship the same file, and no bundle file may shadow an input."""
    env = TASKS_DIR / task_id / "environment"
    inputs = {str(p.relative_to(env)) for p in env.rglob("*")
              if p.is_file() and p.relative_to(env).parts[0] != "skills"}
    seen: dict[str, str] = {}
    for skill in sorted((env / "skills").iterdir()):
        for f in skill.rglob("*"):
            rel = str(f.relative_to(skill))
            if f.is_file() and rel != "SKILL.md":
                assert rel not in inputs, rel
                assert seen.setdefault(rel, skill.name) == skill.name, rel


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_reference_solution_passes(outcomes, task_id):
    result = outcomes[(task_id, True)]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_untouched_environment_fails(outcomes, task_id):
    result = outcomes[(task_id, False)]
    assert result.returncode == 1, result.stdout[-3000:]  # 1 = tests failed (not a crash)


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_task_layout(task_id):
    task = TASKS_DIR / task_id
    meta = tomllib.loads((task / "task.toml").read_text())
    assert REQUIRED_KEYS <= meta.keys()
    assert meta["id"] == task_id
    assert meta["difficulty"] in {"easy", "medium", "hard"}
    assert "command" in meta["grader"]
    assert (task / "instruction.md").read_text().strip()
    assert (task / "tests" / "test_outputs.py").is_file()
    assert (task / "solution" / "solve.py").is_file() or (task / "solution" / "solve.sh").is_file()
    skill_md = task / "environment" / "skills" / meta["skill"] / "SKILL.md"
    assert skill_md.is_file()
    data_files = [p for p in (task / "environment").rglob("*")
                  if p.is_file() and "skills" not in p.relative_to(task / "environment").parts]
    assert data_files, "a task needs input data"


@lru_cache
def _frontmatter(path: Path) -> dict:
    text = path.read_text()
    assert text.startswith("---\n")
    head, _, body = text[4:].partition("\n---\n")
    assert body.strip()
    return yaml.safe_load(head)


@pytest.mark.parametrize("skill_md", sorted(TASKS_DIR.glob("*/environment/skills/*/SKILL.md")),
                         ids=lambda p: f"{p.parents[3].name}/{p.parent.name}")
def test_skill_frontmatter(skill_md):
    meta = _frontmatter(skill_md)
    assert isinstance(meta, dict)
    assert meta["name"] == skill_md.parent.name
    assert 1 <= len(meta["description"]) <= 1024
    text = skill_md.read_text()
    # a procedure numbers its steps, a reference has tables; both show examples
    assert ("1. " in text or "|---|" in text) and "```" in text


def test_instruction_names_outputs():
    # every instruction names at least one output file in backticks
    for task in TASKS:
        text = (task / "instruction.md").read_text()
        assert "`" in text, task.name
