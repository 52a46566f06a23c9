"""The VM's view of the world: a model, a process runner and a filesystem, behind ``Host``.

``SandboxHost`` is the real one: every path is confined to the workdir, children run from argv
lists (never a shell string) with a scrubbed environment, cwd = workdir, a timeout and an
output cap. Tests use it with a scripted model; ``NullHost`` serves benchmarks.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import attrs


class SandboxError(Exception):
    """A refused file or process request; reported to the step, never a crash."""


class Cancelled(Exception):
    """The run (or this fork branch) was cancelled."""


@attrs.define
class Completion:
    """What ``model.complete`` returns (the model layer's class has the same fields)."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    latency_s: float = 0.0
    model: str = ""


class Model(Protocol):
    def complete(self, messages: list[dict], schema: dict | None = None, max_tokens: int = ...,
                 temperature: float = ...) -> Any: ...


@attrs.frozen
class ProcResult:
    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool = False
    truncated: bool = False


SECRET_NAME = re.compile(
    r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|_AUTH|COOKIE|SESSION)",
    re.IGNORECASE)


def scrub_env(env: dict[str, str], allow: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
    """Drop variables that look like secrets (``*_KEY``, ``*_TOKEN`` ...) unless allowed."""
    allowed = set(allow)
    return {k: v for k, v in env.items() if k in allowed or not SECRET_NAME.search(k)}


class Host:
    """Interface the interpreter calls. Paths are workdir-relative strings."""

    model: Any = None
    workdir: Path

    def read_file(self, path: str) -> str:
        raise NotImplementedError

    def write_file(self, path: str, text: str) -> None:
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def run(self, argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None,
            cancel: threading.Event | None = None) -> ProcResult:
        raise NotImplementedError


class SandboxHost(Host):
    def __init__(self, workdir, model=None, env_allow=(), timeout: float = 60.0,
                 output_cap: int = 64 * 1024, base_env: dict[str, str] | None = None):
        self.workdir = Path(workdir).resolve()
        if not self.workdir.is_dir():
            raise SandboxError(f"workdir {workdir} is not a directory")
        self.model = model
        self.env_allow = tuple(env_allow)
        self.timeout = timeout
        self.output_cap = output_cap
        self.base_env = dict(os.environ if base_env is None else base_env)

    # filesystem ------------------------------------------------------------------------------
    def resolve(self, path: str) -> Path:
        """The real path of ``path`` inside the workdir; SandboxError if it would leave it."""
        if not isinstance(path, str) or not path.strip():
            raise SandboxError(f"bad path {path!r}")
        if "\x00" in path:
            raise SandboxError("path contains a NUL byte")
        p = Path(path)
        if p.is_absolute() or path.startswith("~"):
            raise SandboxError(f"absolute path refused: {path} (paths are workdir-relative)")
        if ".." in p.parts:
            raise SandboxError(f"path with '..' refused: {path}")
        real = Path(os.path.realpath(self.workdir / p))  # follows symlinks, even dangling ones
        if real != self.workdir and self.workdir not in real.parents:
            raise SandboxError(f"path escapes the workdir (via a symlink?): {path}")
        return real

    def read_file(self, path: str) -> str:
        real = self.resolve(path)
        try:
            with open(real, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError as exc:
            raise SandboxError(f"cannot read {path}: {exc.strerror}") from None

    def write_file(self, path: str, text: str) -> None:
        real = self.resolve(path)
        try:
            real.parent.mkdir(parents=True, exist_ok=True)
            # Re-check after creating parents: a symlinked parent must not redirect the write.
            self.resolve(path)
            with open(real, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise SandboxError(f"cannot write {path}: {exc.strerror}") from None

    def exists(self, path: str) -> bool:
        return self.resolve(path).exists()

    # processes -------------------------------------------------------------------------------
    def run(self, argv, env=None, timeout=None, cancel=None) -> ProcResult:
        if not argv or not all(isinstance(a, str) for a in argv):
            raise SandboxError(f"argv must be a non-empty list of strings, got {argv!r}")
        if any("\x00" in a for a in argv):
            raise SandboxError("argv item contains a NUL byte")
        child_env = scrub_env(self.base_env, self.env_allow)
        if env:
            child_env.update(env)
        timeout = self.timeout if timeout is None else min(timeout, self.timeout)
        try:
            proc = subprocess.Popen(
                list(argv), cwd=self.workdir, env=child_env, shell=False,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except (OSError, ValueError) as exc:
            return ProcResult(127, "", f"cannot run {argv[0]}: {exc}")
        deadline = time.monotonic() + timeout
        timed_out = False
        while True:
            try:
                out, err = proc.communicate(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.is_set():
                    _kill(proc)
                    proc.communicate()
                    raise Cancelled() from None
                if time.monotonic() >= deadline:
                    timed_out = True
                    _kill(proc)
                    out, err = proc.communicate()
                    break
        cap = self.output_cap
        truncated = len(out) > cap or len(err) > cap
        return ProcResult(
            124 if timed_out else proc.returncode,
            out[:cap].decode("utf-8", "replace"), err[:cap].decode("utf-8", "replace"),
            timed_out, truncated,
        )


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


class NullHost(Host):
    """Does nothing, instantly: for measuring dispatch overhead."""

    def __init__(self, model=None):
        self.model = model
        self.workdir = Path(".")
        self.files: dict[str, str] = {}

    def read_file(self, path):
        return self.files.get(path, "")

    def write_file(self, path, text):
        self.files[path] = text

    def exists(self, path):
        return path in self.files

    def run(self, argv, env=None, timeout=None, cancel=None):
        return ProcResult(0, "", "")
