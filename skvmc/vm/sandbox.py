"""How one child process is confined: the bubblewrap command line, its environment, rlimits.

``SandboxHost.run`` (skvmc/vm/host.py) is the only caller. In ``bwrap`` mode the child sees a
private filesystem (system dirs and the interpreter read-only, the workdir read-write, a fresh
/tmp), private pid/ipc/uts/network namespaces, no capabilities and an environment built from an
allow-list. ``process`` mode keeps only the environment, the rlimits and the output cap
(docs/sandbox.md says what it does not protect).
"""

from __future__ import annotations

import functools
import glob
import os
import resource
import shutil
import subprocess
import sys

import attrs

MODES = ("bwrap", "process")
DEFAULT_BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"
PRLIMIT = shutil.which("prlimit")

# Variables a child may inherit from the parent; everything else must be named by env_allow.
ENV_NAMES = ("PATH", "LANG", "LANGUAGE", "TERM", "TZ")
ENV_PREFIXES = ("LC_",)

# Primitives whose steps may use the network (meta["steps"][pc]["requires"]).
NETWORK_PRIMITIVES = frozenset({"tool.web", "tool.browser"})

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# The parts of /etc that programs need to start (dynamic loader, Debian alternatives), to speak
# TLS (certificates) and to format dates; the host's users, hosts and secrets stay outside.
ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "ssl",
               "ca-certificates", "ca-certificates.conf", "pki", "localtime", "timezone",
               "nsswitch.conf", "protocols", "services", "mime.types", "python3*")
NET_ETC_ENTRIES = ("resolv.conf", "hosts", "gai.conf")  # name resolution, only with network

SANDBOX_HOME = "/tmp"  # private tmpfs in bwrap mode: caches written to ~ vanish with the step

# Container paths that task instructions name (SkillsBench tasks say /root/data.csv or /app/out):
# bwrap binds the workdir at each of them too, and the host's read/write actions map them.
WORKDIR_ALIASES = ("/root", "/app")


def alias_targets(workdir: str) -> list[str]:
    """The aliases that can show ``workdir``: not one that contains it or lies inside it (the
    bind would recurse), not one the sandbox needs itself (a system dir)."""
    real = os.path.realpath(workdir)
    out = []
    for alias in WORKDIR_ALIASES:
        if real == alias or real.startswith(alias + "/") or alias.startswith(real + "/"):
            continue
        if alias in SYSTEM_DIRS:
            continue
        out.append(alias)
    return out


def alias_mountpoints(workdir: str, ro_dirs=()) -> list[str]:
    """Folders bwrap will create inside the workdir as mount points: a read-only folder under
    an alias (the Python of ~/.pyenv under /root) is mounted inside the workdir's alias view,
    so its path appears in the workdir. Returned as the outermost new folder of each, for the
    host to remove after the run."""
    real = os.path.realpath(workdir)
    made = []
    for alias in alias_targets(workdir):
        for d in ro_dirs:
            d = os.path.realpath(d)
            if not d.startswith(alias + "/"):
                continue
            top = os.path.join(real, os.path.relpath(d, alias).split("/")[0])
            if not os.path.exists(top) and top not in made:
                made.append(top)
    return made


@attrs.frozen
class Limits:
    """Per-process rlimits of every child (inherited by its descendants)."""

    cpu_s: int = 300               # CPU seconds (SIGXCPU, then SIGKILL)
    address_space: int = 4 << 30   # bytes of virtual memory
    file_size: int = 1 << 30       # bytes of the largest file a child may write
    nproc: int = 256               # processes of the user (the kernel ignores it for root)

    def _pairs(self):
        return ((resource.RLIMIT_CPU, "--cpu", self.cpu_s),
                (resource.RLIMIT_AS, "--as", self.address_space),
                (resource.RLIMIT_FSIZE, "--fsize", self.file_size),
                (resource.RLIMIT_NPROC, "--nproc", self.nproc))

    def prefix(self) -> list[str]:
        """``prlimit`` argv prefix: setting limits after fork needs no preexec_fn, which is
        unsafe with the VM's fork-branch threads."""
        if PRLIMIT is None:
            return []
        return [PRLIMIT] + [f"{flag}={n}:{n}" for _, flag, n in self._pairs()] + ["--"]

    def apply(self) -> None:
        """Fallback for hosts without prlimit: called in the child before exec."""
        for res, _, n in self._pairs():
            resource.setrlimit(res, (n, n))


def add_option(parser) -> None:
    """``--sandbox`` for every command that runs skill code (run, bench, profile)."""
    parser.add_argument("--sandbox", choices=MODES, default="bwrap",
                        help="how programs the skill runs are confined: bwrap (default; exec is "
                             "refused without it) or process (no isolation, docs/sandbox.md)")


def preflight(mode: str) -> str | None:
    """Why a command that will run many programs (bench, profile) should not start in this
    sandbox mode, or None: without bwrap every exec is refused, and a whole bench or profile
    would measure those refusals."""
    if mode != "bwrap":
        return None
    problem = unavailable(DEFAULT_BWRAP)
    if problem is None:
        return None
    return (f"{problem}: every program a run executes would be refused; install it "
            f"(apt-get install bubblewrap) or pass --sandbox=process (no isolation)")


def needs_network(meta: dict, pc: int) -> bool:
    """Whether the step at ``pc`` declares a network primitive (tool.web, tool.browser)."""
    step = (meta.get("steps") or {}).get(str(pc)) or {}
    return any(isinstance(r, dict) and r.get("primitive") in NETWORK_PRIMITIVES
               for r in step.get("requires") or ())


def interpreter_dirs() -> list[str]:
    """Where the running Python lives (a venv and its base install, e.g. under ~/.pyenv):
    children are started with ``sys.executable`` so these must be visible, read-only."""
    dirs = []
    for d in {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))}:
        d = os.path.realpath(d)
        if not any(d == s or d.startswith(s + "/") for s in SYSTEM_DIRS):
            dirs.append(d)
    return sorted(dirs)


def child_env(base: dict[str, str], allow=(), home: str = SANDBOX_HOME,
              extra: dict[str, str] | None = None) -> dict[str, str]:
    """The child's environment: allow-listed names from ``base``, those in ``allow``, then
    ``extra`` (the program's own SETENV values). Unknown names never pass, secret or not."""
    allowed = set(allow)
    env = {k: v for k, v in base.items()
           if k in ENV_NAMES or k.startswith(ENV_PREFIXES) or k in allowed}
    # The VM's own interpreter first, so `python` in a skill means the Python skvmc runs on.
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = os.pathsep.join([bindir] + [p for p in env.get("PATH", "/usr/bin:/bin")
                                              .split(os.pathsep) if p and p != bindir])
    env["HOME"] = home
    env.update(extra or {})
    return env


def _data_fd(text: str) -> int:
    """A pipe's read end holding ``text`` (bwrap copies it into a file in the sandbox)."""
    r, w = os.pipe()
    os.write(w, text.encode())  # a few hundred bytes: fits the pipe buffer, never blocks
    os.close(w)
    return r


def _identity(home: str) -> dict[str, str]:
    """/etc/passwd and /etc/group naming only the sandbox user (tools like git and ssh look
    the current uid up; the host's accounts stay hidden)."""
    uid, gid = os.getuid(), os.getgid()
    users = {uid: "sandbox", 65534: "nobody"}
    groups = {gid: "sandbox", 65534: "nogroup"}
    return {
        "/etc/passwd": "".join(f"{n}:x:{u}:{gid if u == uid else 65534}::{home}:/bin/sh\n"
                               for u, n in users.items()),
        "/etc/group": "".join(f"{n}:x:{g}:\n" for g, n in groups.items()),
    }


def bwrap_command(bwrap: str, argv: list[str], *, workdir: str, env: dict[str, str],
                  ro_dirs=(), network: bool = False) -> tuple[list[str], list[int]]:
    """The bwrap argv that runs ``argv`` confined, and the fds it reads (caller closes them)."""
    cmd = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if network:
        cmd.append("--share-net")
    for d in SYSTEM_DIRS:  # merged-/usr systems have /bin -> usr/bin: keep the symlink
        if os.path.islink(d):
            cmd += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            cmd += ["--ro-bind", d, d]
    etc = ETC_ENTRIES + (NET_ETC_ENTRIES if network else ())
    for pattern in etc:
        for path in sorted(glob.glob(os.path.join("/etc", pattern))):
            cmd += ["--ro-bind", path, path]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    fds = []
    for dest, text in _identity(SANDBOX_HOME).items():
        fds.append(_data_fd(text))
        cmd += ["--ro-bind-data", str(fds[-1]), dest]
    # Interpreter and skill folder read-only, the workdir read-write (also at the container
    # aliases); outer folders first so a folder nested in another keeps its own mode.
    binds = {os.path.realpath(d): ("--ro-bind", os.path.realpath(d))
             for d in ro_dirs if d and os.path.isdir(d)}
    real = os.path.realpath(workdir)
    binds[real] = ("--bind", real)
    for alias in alias_targets(workdir):
        binds.setdefault(alias, ("--bind", real))
    for dest in sorted(binds, key=lambda p: p.count("/")):
        mode, src = binds[dest]
        cmd += [mode, src, dest]
    # The sandbox's root is bwrap's own tmpfs (mount points like /etc live there): read-only too.
    cmd += ["--remount-ro", "/", "--chdir", workdir, "--clearenv"]
    for k, v in env.items():
        cmd += ["--setenv", k, v]
    return cmd + ["--"] + list(argv), fds


@functools.lru_cache(maxsize=8)
def unavailable(bwrap: str) -> str | None:
    """Why the bwrap sandbox cannot run here (missing binary, no namespaces), or None."""
    if not (os.path.isfile(bwrap) and os.access(bwrap, os.X_OK)):
        return f"bubblewrap not found at {bwrap}"
    probe = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--", "true"]
    try:
        r = subprocess.run(probe, capture_output=True, timeout=10, check=False,
                           env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap at {bwrap} does not start: {exc}"
    if r.returncode != 0:
        why = r.stderr.decode("utf-8", "replace").strip() or f"exit code {r.returncode}"
        return f"bubblewrap cannot create namespaces here ({why})"
    return None
