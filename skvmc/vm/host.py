"""The VM's view of the world: a model, a process runner and a filesystem, behind ``Host``.

``SandboxHost`` is the real one: every path is confined to the workdir, children run from argv
lists (never a shell string) inside a bubblewrap sandbox (skvmc/vm/sandbox.py, docs/sandbox.md)
with an allow-listed environment, rlimits, cwd = workdir, a timeout and an output cap read as a
stream. Tests use it with a scripted model; ``NullHost`` serves benchmarks.
"""

from __future__ import annotations

import os
import selectors
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import attrs

import skvmc.vm.sandbox as sb


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

    def is_file(self, path: str) -> bool:
        """Whether ``path`` is a file (not a folder) of the workdir."""
        return self.exists(path)

    def expose(self, folder: str) -> None:
        """Let children read ``folder`` (the skill's bundle) besides the workdir."""

    def in_workdir(self, path: str) -> bool:
        """Whether ``path`` names a file of the task's workdir (not the skill's bundle)."""
        return False

    def list_files(self, limit: int = 40) -> list[tuple[str, int]]:
        """(workdir-relative path, size) of the workdir's files, hidden ones left out."""
        return []

    def file_stamps(self, limit: int = 200) -> dict[str, tuple[int, int]]:
        """workdir-relative path -> (size, mtime in ns), for the files ``list_files`` lists:
        what a command changed is what differs before and after it."""
        return {}

    def read_head(self, path: str, limit: int = 4096) -> str:
        """The first ``limit`` characters of a workdir file."""
        return self.read_file(path)[:limit]

    def output_key(self, path: str) -> str:
        """One name per file, however the path spells it (``a.txt``, ``/root/a.txt``)."""
        return path

    def run(self, argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None,
            cancel: threading.Event | None = None, network: bool = False) -> ProcResult:
        raise NotImplementedError


class SandboxHost(Host):
    """``sandbox="bwrap"`` confines children with bubblewrap and refuses to run them when it
    cannot; ``sandbox="process"`` is the opt-in weaker mode (plain subprocess)."""

    def __init__(self, workdir, model=None, env_allow=(), timeout: float = 60.0,
                 output_cap: int = 64 * 1024, base_env: dict[str, str] | None = None,
                 sandbox: str = "bwrap", skill_dir=None, limits: sb.Limits | None = None,
                 bwrap: str = sb.DEFAULT_BWRAP):
        self.workdir = Path(workdir).resolve()
        if not self.workdir.is_dir():
            raise SandboxError(f"workdir {workdir} is not a directory")
        if sandbox not in sb.MODES:
            raise SandboxError(f"unknown sandbox mode {sandbox!r} (one of {', '.join(sb.MODES)})")
        self.model = model
        self.env_allow = tuple(env_allow)
        self.timeout = timeout
        self.output_cap = output_cap
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.sandbox = sandbox
        self.read_only: list[str] = []  # folders children may read: the skill's bundle
        if skill_dir:
            self.expose(skill_dir)
        self.limits = limits or sb.Limits()
        self.bwrap = bwrap

    # filesystem ------------------------------------------------------------------------------
    def resolve(self, path: str) -> Path:
        """The real path of ``path`` inside the workdir; SandboxError if it would leave it."""
        if not isinstance(path, str) or not path.strip():
            raise SandboxError(f"bad path {path!r}")
        if "\x00" in path:
            raise SandboxError("path contains a NUL byte")
        p = Path(self.container_path(path))
        if p.is_absolute() or path.startswith("~"):
            raise SandboxError(f"absolute path refused: {path} (paths are workdir-relative)")
        if ".." in p.parts:
            raise SandboxError(f"path with '..' refused: {path}")
        real = Path(os.path.realpath(self.workdir / p))  # follows symlinks, even dangling ones
        if real != self.workdir and self.workdir not in real.parents:
            raise SandboxError(f"path escapes the workdir (via a symlink?): {path}")
        return real

    def in_workdir(self, path: str) -> bool:
        try:
            self.resolve(path)
        except SandboxError:
            return False
        return True

    def output_key(self, path: str) -> str:
        try:
            return str(self.resolve(path))
        except SandboxError:
            return path

    def resolve_readable(self, path: str) -> Path:
        """As :meth:`resolve`, and also an absolute path inside a folder exposed read-only
        (the skill's bundle, whose path the VM tells the model): reads only."""
        try:
            return self.resolve(path)
        except SandboxError:
            if not (isinstance(path, str) and path.startswith("/") and "\x00" not in path):
                raise
            real = os.path.realpath(path)  # a symlink in the bundle must not lead out of it
            if any(real == ro or real.startswith(ro.rstrip(os.sep) + os.sep)
                   for ro in self.read_only):
                return Path(real)
            raise

    def container_path(self, path: str) -> str:
        """``/root/x`` and ``/app/x`` (the container paths task instructions name, where the
        sandbox binds the workdir too) and the workdir's own absolute path, as relative paths."""
        for prefix in (*sb.alias_targets(str(self.workdir)), str(self.workdir)):
            if path == prefix or path == prefix + "/":
                return "."
            if path.startswith(prefix + "/"):
                return path[len(prefix) + 1:]
        return path

    def read_file(self, path: str) -> str:
        real = self.resolve_readable(path)
        try:
            with open(real, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError as exc:
            raise SandboxError(f"cannot read {path}: {exc.strerror}") from None

    def read_head(self, path: str, limit: int = 4096) -> str:
        real = self.resolve_readable(path)  # only the head: a big CSV costs its first line
        try:
            with open(real, encoding="utf-8", errors="replace") as fh:
                return fh.read(limit)
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

    def is_file(self, path: str) -> bool:
        return self.resolve(path).is_file()

    def _files(self, limit: int):
        """(workdir-relative path, lstat) of up to ``limit`` regular files, hidden ones and
        symlinks left out, in sorted walk order."""
        n = 0
        for root, dirs, files in os.walk(self.workdir):  # never follows links out
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(f for f in files if not f.startswith(".")):
                path = Path(root) / name
                try:
                    st = path.lstat()
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue
                yield path.relative_to(self.workdir).as_posix(), st
                n += 1
                if n >= limit:
                    return

    def list_files(self, limit: int = 40) -> list[tuple[str, int]]:
        return [(rel, st.st_size) for rel, st in self._files(limit)]

    def file_stamps(self, limit: int = 200) -> dict[str, tuple[int, int]]:
        return {rel: (st.st_size, st.st_mtime_ns) for rel, st in self._files(limit)}

    def expose(self, folder: str) -> None:
        real = os.path.realpath(folder)
        if real not in self.read_only:
            self.read_only.append(real)

    # processes -------------------------------------------------------------------------------
    def command(self, argv: list[str], env: dict | None = None, network: bool = False):
        """(argv to spawn, its environment, fds to pass) for one child."""
        if self.sandbox == "process":
            child = sb.child_env(self.base_env, self.env_allow, str(self.workdir), env)
            return self.limits.prefix() + list(argv), child, []
        problem = sb.unavailable(self.bwrap)
        if problem:
            raise SandboxError(f"{problem}: refusing to run {argv[0]} without a sandbox "
                               "(--sandbox=process runs it unconfined; see docs/sandbox.md)")
        child = sb.child_env(self.base_env, self.env_allow, sb.SANDBOX_HOME, env)
        cmd, fds = sb.bwrap_command(self.bwrap, argv, workdir=str(self.workdir), env=child,
                                    ro_dirs=sb.interpreter_dirs() + self.read_only,
                                    network=network)
        # bwrap itself gets an empty environment: the sandbox's pid 1 is a fork of bwrap and
        # its /proc/1/environ would show whatever bwrap was started with.
        return self.limits.prefix() + cmd, {}, fds

    def run(self, argv, env=None, timeout=None, cancel=None, network=False) -> ProcResult:
        if not argv or not all(isinstance(a, str) for a in argv):
            raise SandboxError(f"argv must be a non-empty list of strings, got {argv!r}")
        if any("\x00" in a for a in argv):
            raise SandboxError("argv item contains a NUL byte")
        timeout = self.timeout if timeout is None else min(timeout, self.timeout)
        cmd, child_env, fds = self.command(argv, env, network)
        made = (sb.alias_mountpoints(str(self.workdir), sb.interpreter_dirs() + self.read_only)
                if self.sandbox == "bwrap" else [])
        _MOUNTPOINTS.enter(self.workdir, made)
        try:
            return self._spawn(argv, cmd, child_env, fds, timeout, cancel)
        finally:
            _MOUNTPOINTS.leave(self.workdir)

    def _spawn(self, argv, cmd, child_env, fds, timeout, cancel) -> ProcResult:
        try:
            proc = subprocess.Popen(
                cmd, cwd=self.workdir, env=child_env, shell=False, pass_fds=fds,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True,  # one process group to kill: bwrap, or the child
                # only without prlimit (rare): setrlimit in the forked child
                preexec_fn=None if cmd[0] == sb.PRLIMIT else self.limits.apply,  # noqa: PLW1509
            )
        except (OSError, ValueError) as exc:
            return ProcResult(127, "", f"cannot run {argv[0]}: {exc}")
        finally:
            for fd in fds:
                os.close(fd)
        try:
            out, err, truncated, stop = _pump(proc, self.output_cap,
                                              time.monotonic() + timeout, cancel)
        finally:
            # After the step nothing it started may live on: the group (and with bwrap the
            # whole pid namespace, through --die-with-parent) dies here.
            _kill(proc)
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        if stop == "cancelled":
            raise Cancelled()
        code = 124 if stop == "timeout" else proc.returncode
        if self.sandbox == "bwrap" and code == 1 and err.startswith(b"bwrap: execvp "):
            code = 127  # the program was not found inside the sandbox (as a shell says)
        return ProcResult(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                          stop == "timeout", truncated)


class _Mountpoints:
    """Mount points bwrap creates in a workdir (alias_mountpoints) are removed when the last
    child running in that workdir ends: removing one earlier would unmount it from the other
    children's sandboxes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._running: dict[Path, int] = {}
        self._made: dict[Path, set[str]] = {}

    def enter(self, workdir: Path, made: list[str]) -> None:
        with self._lock:
            self._running[workdir] = self._running.get(workdir, 0) + 1
            self._made.setdefault(workdir, set()).update(made)

    def leave(self, workdir: Path) -> None:
        with self._lock:
            self._running[workdir] -= 1
            if self._running[workdir]:
                return
            del self._running[workdir]
            for top in sorted(self._made.pop(workdir, ())):
                _remove_empty_tree(top)


def _remove_empty_tree(top: str) -> None:
    """Remove ``top`` if it holds only empty folders (what bwrap made); anything else stays."""
    for root, _dirs, files in os.walk(top, topdown=False):
        if files:
            return
        try:
            os.rmdir(root)
        except OSError:
            return


_MOUNTPOINTS = _Mountpoints()

CHUNK = 64 * 1024
EXIT_GRACE_S = 0.5  # how long pipes may stay open after the child exited (process mode)


def _pump(proc: subprocess.Popen, cap: int, deadline: float, cancel):
    """Read stdout and stderr as they come, keeping at most ``cap`` bytes of each (the rest is
    read and dropped, so the child never blocks on a full pipe and memory stays bounded).
    Returns (stdout, stderr, truncated, why it stopped: None | "timeout" | "cancelled")."""
    bufs = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    truncated, stop, exited_at = False, None, None
    with selectors.DefaultSelector() as sel:
        for fd in bufs:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            now = time.monotonic()
            if cancel is not None and cancel.is_set():
                stop = "cancelled"
                break
            if now >= deadline:
                stop = "timeout"
                break
            if exited_at is None and proc.poll() is not None:
                exited_at = now
                _kill(proc)  # stragglers of the group would hold the pipes open
            elif exited_at is not None and now - exited_at > EXIT_GRACE_S:
                break  # a detached grandchild (process mode) still holds them: stop reading
            for key, _ in sel.select(min(0.05, max(0.0, deadline - now))):
                chunk = os.read(key.fd, CHUNK)
                if not chunk:
                    sel.unregister(key.fd)
                    continue
                buf = bufs[key.fd]
                room = cap - len(buf)
                if len(chunk) > room:
                    truncated = True
                buf += chunk[:max(0, room)]
    return bytes(bufs[proc.stdout.fileno()]), bytes(bufs[proc.stderr.fileno()]), truncated, stop


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if proc.poll() is None:
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

    def run(self, argv, env=None, timeout=None, cancel=None, network=False):
        return ProcResult(0, "", "")
