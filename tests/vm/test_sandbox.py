"""The exec sandbox: each escape that worked with plain subprocess, repeated against bubblewrap.

Tests marked ``needs_bwrap`` skip (with the reason) where bubblewrap cannot run; the process
mode tests also show what that mode does not protect (docs/sandbox.md).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest
from vm_helpers import run_asm

from skvmc.vm import SandboxError, SandboxHost
from skvmc.vm import sandbox as sb
from skvmc.vm.host import CHUNK

WHY_NO_BWRAP = sb.unavailable(sb.DEFAULT_BWRAP)
needs_bwrap = pytest.mark.skipif(WHY_NO_BWRAP is not None, reason=WHY_NO_BWRAP or "")

PY = sys.executable


@pytest.fixture
def work(tmp_path):
    d = tmp_path / "work"
    d.mkdir()
    return d


def _pids_running(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in cmdline:
                found.append(int(entry.name))
    return found


def _gone(marker: str, within: float = 2.0) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not _pids_running(marker):
            return True
        time.sleep(0.05)
    return False


# -- the filesystem ---------------------------------------------------------------------------
@needs_bwrap
def test_etc_passwd_shows_no_host_users(work):
    host_users = {line.split(":")[0] for line in Path("/etc/passwd").read_text().splitlines()
                  if line and not line.startswith("#")}
    r = SandboxHost(work).run(["cat", "/etc/passwd"])
    seen = {line.split(":")[0] for line in r.stdout.splitlines() if line}
    assert r.exit_code == 0 and seen == {"sandbox", "nobody"}
    assert not (host_users - {"nobody"}) & seen


@needs_bwrap
def test_writes_outside_the_workdir_fail(work, tmp_path):
    outside = tmp_path / "outside.txt"  # exists as a folder on the host, next to the workdir
    targets = [str(outside), "/etc/skvmc-evil", "/usr/skvmc-evil", "/root/skvmc-evil",
               "/skvmc-evil", os.path.expanduser("~/skvmc-evil")]
    probe = textwrap.dedent("""
        import sys
        for path in sys.argv[1:]:
            try:
                open(path, "w").write("x")
                print("wrote", path)
            except OSError as exc:
                print("refused", path, exc.strerror)
        open("inside.txt", "w").write("ok")
    """)
    r = SandboxHost(work).run([PY, "-c", probe, *targets])
    assert r.exit_code == 0, r.stderr
    for path in targets:
        assert not os.path.exists(path), path  # nothing reached the host
    for path in targets[1:]:  # the host's own folders are read-only (or absent) inside
        if path.startswith("/root/"):  # /root is the workdir in the sandbox (container path)
            assert f"wrote {path}" in r.stdout
            continue
        assert f"refused {path}" in r.stdout
    assert (work / "inside.txt").read_text() == "ok"
    assert (work / "skvmc-evil").read_text() == "x"


@needs_bwrap
def test_bash_c_with_injected_text_is_contained(work, tmp_path):
    injected = ("x; cat /etc/shadow; cat /root/.bashrc; echo pwned > ../pwned; "
                "echo pwned > /etc/cron.d/pwned; ls /home; echo done")
    r = SandboxHost(work).run(["bash", "-c", f"echo {injected}"])
    assert "done" in r.stdout
    assert not (tmp_path / "pwned").exists() and not Path("/etc/cron.d/pwned").exists()
    assert "No such file" in r.stderr  # /etc/shadow, /root/.bashrc, /home are not there


@needs_bwrap
def test_skill_dir_is_read_only(work, tmp_path):
    skill = tmp_path / "skill"
    skill.mkdir()
    (skill / "tool.py").write_text("print('from the bundle')\n")
    host = SandboxHost(work, skill_dir=skill)
    assert host.run([PY, str(skill / "tool.py")]).stdout == "from the bundle\n"
    r = host.run(["sh", "-c", f"echo x > {skill}/tool.py"])
    assert r.exit_code != 0 and "Read-only" in r.stderr
    assert (skill / "tool.py").read_text() == "print('from the bundle')\n"


# -- the environment --------------------------------------------------------------------------
PARENT = textwrap.dedent("""
    import sys
    from skvmc.vm import SandboxHost
    r = SandboxHost(sys.argv[1], sandbox=sys.argv[2]).run(
        ["sh", "-c", "cat /proc/$PPID/environ /proc/1/environ /proc/[0-9]*/environ"])
    print(r.stdout.replace("\\0", "\\n"))
""")


@needs_bwrap
def test_parent_environ_is_not_visible(work):
    """A real parent process holding a secret in its environment runs the sandbox."""
    env = dict(os.environ, SKVMC_PROBE_SECRET="hunter2-secret")
    r = subprocess.run([PY, "-c", PARENT, str(work), "bwrap"], env=env, capture_output=True,
                       text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    assert "hunter2-secret" not in r.stdout


def test_process_mode_leaks_the_parent_environ(work):
    """The control for the test above (and why process mode is weaker): same probe, no ns."""
    env = dict(os.environ, SKVMC_PROBE_SECRET="hunter2-secret")
    r = subprocess.run([PY, "-c", PARENT, str(work), "process"], env=env, capture_output=True,
                       text=True, timeout=60, check=False)
    assert "hunter2-secret" in r.stdout


@pytest.mark.parametrize("mode", ["bwrap", "process"])
def test_environment_is_an_allow_list(work, mode):
    if mode == "bwrap" and WHY_NO_BWRAP:
        pytest.skip(WHY_NO_BWRAP)
    base = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C", "DATABASE_URL":
            "postgres://u:pw@db/x", "GH_PAT": "ghp_1", "DB_PASS": "pw", "OPENAI_API_KEY": "sk",
            "AWS_SECRET_ACCESS_KEY": "a", "MY_ALLOWED": "yes"}
    host = SandboxHost(work, env_allow=("MY_ALLOWED",), base_env=base, sandbox=mode)
    r = host.run([PY, "-c", "import os, json; print(json.dumps(dict(os.environ)))"],
                 env={"SKVM_P_x": "param"})
    seen = json.loads(r.stdout)
    assert not set(seen) & {"DATABASE_URL", "GH_PAT", "DB_PASS", "OPENAI_API_KEY",
                            "AWS_SECRET_ACCESS_KEY"}
    assert seen["MY_ALLOWED"] == "yes" and seen["SKVM_P_x"] == "param"
    assert seen["LANG"] == "C.UTF-8" and seen["LC_ALL"] == "C"
    assert seen["HOME"] == ("/tmp" if mode == "bwrap" else str(work))
    assert seen["PATH"].split(":")[0] == os.path.dirname(PY)


# -- processes --------------------------------------------------------------------------------
@needs_bwrap
def test_setsid_grandchild_dies_and_timeout_is_honoured(work):
    marker = "4321.123"
    script = f"setsid nohup sleep {marker} >/dev/null 2>&1 & nohup sleep {marker} & sleep 60"
    t0 = time.monotonic()
    r = SandboxHost(work).run(["sh", "-c", script], timeout=2)
    elapsed = time.monotonic() - t0
    assert r.timed_out and r.exit_code == 124
    assert elapsed < 3.0, elapsed
    assert _gone(marker)


@needs_bwrap
def test_detached_process_does_not_outlive_the_step(work):
    marker = "4322.456"
    r = SandboxHost(work).run(["sh", "-c", f"setsid nohup sleep {marker} >/dev/null 2>&1 &"])
    assert r.exit_code == 0
    assert _gone(marker)


def test_process_mode_timeout_is_honoured_but_setsid_escapes(work):
    """Documented limit of process mode: the step returns on time, a setsid child lives on."""
    marker = "4323.789"
    t0 = time.monotonic()
    r = SandboxHost(work, sandbox="process").run(
        ["sh", "-c", f"setsid sleep {marker} & sleep 60"], timeout=2)
    elapsed = time.monotonic() - t0
    survivors = _pids_running(marker)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert r.timed_out and elapsed < 3.5, elapsed
    assert survivors  # if this fails, process mode got stronger: update docs/sandbox.md


@needs_bwrap
def test_rlimits_are_applied(work):
    limits = sb.Limits(cpu_s=7, address_space=1 << 30, file_size=1 << 20, nproc=64)
    host = SandboxHost(work, limits=limits)
    probe = ("import resource as r, json; print(json.dumps([r.getrlimit(x)[0] for x in "
             "(r.RLIMIT_CPU, r.RLIMIT_AS, r.RLIMIT_FSIZE, r.RLIMIT_NPROC)]))")
    assert json.loads(host.run([PY, "-c", probe]).stdout) == [7, 1 << 30, 1 << 20, 64]
    big = host.run([PY, "-c", "open('big', 'wb').write(b'x' * (2 << 20))"])
    assert big.exit_code != 0  # SIGXFSZ / EFBIG at 1 MiB
    assert (work / "big").stat().st_size <= 1 << 20
    mem = host.run([PY, "-c", "b = bytearray(2 << 30)"])
    assert mem.exit_code != 0 and "MemoryError" in mem.stderr


@pytest.mark.parametrize("mode", ["bwrap", "process"])
def test_50mb_of_output_is_cut_at_the_cap_without_buffering(work, mode):
    if mode == "bwrap" and WHY_NO_BWRAP:
        pytest.skip(WHY_NO_BWRAP)
    cap = 64 * 1024
    host = SandboxHost(work, output_cap=cap, sandbox=mode)
    writer = ("import sys\nchunk = b'x' * (1 << 20)\nfor _ in range(50):\n"
              "    sys.stdout.buffer.write(chunk); sys.stderr.buffer.write(chunk)\n")
    tracemalloc.start()
    try:
        r = host.run([PY, "-c", writer])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.exit_code == 0 and r.truncated
    assert len(r.stdout) == cap and len(r.stderr) == cap
    assert peak < 2 * cap + 4 * CHUNK, peak  # both streams at the cap + a read chunk or two


# -- the network ------------------------------------------------------------------------------
CONNECT = ("import socket, sys\ntry:\n    socket.create_connection(('127.0.0.1', int(sys.argv[1])),"
           " timeout=2).close(); print('connected')\nexcept OSError as e:\n    print('blocked', e)")


@needs_bwrap
def test_network_is_blocked_unless_the_step_declares_it(work):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        port = str(server.getsockname()[1])
        host = SandboxHost(work)
        assert host.run([PY, "-c", CONNECT, port]).stdout.startswith("blocked")
        assert host.run([PY, "-c", CONNECT, port], network=True).stdout == "connected\n"


def test_needs_network_reads_the_step_requirements():
    meta = {"steps": {"3": {"line": 9, "requires": [{"primitive": "tool.web", "level": "L1"}]},
                      "5": {"line": 12, "requires": [{"primitive": "tool.exec"}]}}}
    assert sb.needs_network(meta, 3)
    assert not sb.needs_network(meta, 5) and not sb.needs_network(meta, 7)
    assert not sb.needs_network({}, 3)


# -- refusing without bwrap; process mode -----------------------------------------------------
def test_missing_bwrap_refuses_exec(work):
    host = SandboxHost(work, bwrap=str(work / "no-such-bwrap"))
    with pytest.raises(SandboxError, match="bubblewrap not found.*--sandbox=process"):
        host.run(["true"])


def test_missing_bwrap_fails_the_exec_step(work):
    r = run_asm('.loc "SKILL.md" 4\nexec ["true"], $o\nhalt 0\n', work,
                host_options={"bwrap": "/nonexistent/bwrap"})
    assert r.exit_code == 1
    assert r.error.startswith("SKILL.md:4: step failed: bubblewrap not found")


def test_process_mode_runs_without_bwrap(work):
    host = SandboxHost(work, sandbox="process", bwrap="/nonexistent/bwrap")
    r = host.run([PY, "-c", "import os; print(os.getcwd())"])
    assert r.exit_code == 0 and r.stdout.strip() == str(work.resolve())
    assert host.run(["definitely-not-a-program-xyz"]).exit_code == 127


def test_unknown_sandbox_mode_is_refused(work):
    with pytest.raises(SandboxError, match="unknown sandbox mode"):
        SandboxHost(work, sandbox="docker")


def test_cli_takes_the_sandbox_option():
    from skvmc.vm.cli import build_parser

    p = build_parser()
    base = ["out", "--task", "t", "--workdir", "w"]
    assert p.parse_args(base).sandbox == "bwrap"
    assert p.parse_args(base + ["--sandbox=process"]).sandbox == "process"
    with pytest.raises(SystemExit):
        p.parse_args(base + ["--sandbox=none"])


def test_network_flag_follows_the_step_declaration(work):
    """EXEC at pc 0 declares tool.web, EXEC at pc 1 does not; the VM tells the host."""
    from skvmc.bytecode import assemble
    from skvmc.vm import ProcResult, run_program

    class Recording(SandboxHost):
        def run(self, argv, env=None, timeout=None, cancel=None, network=False):
            seen.append((argv[0], network))
            return ProcResult(0, "", "")

    seen: list = []
    meta = {"skill": "t", "steps": {"0": {"line": 1, "requires": [{"primitive": "tool.web"}]},
                                    "1": {"line": 2, "requires": []}}}
    prog = assemble(f".meta {json.dumps(meta)}\nexec [\"fetch\"], $a\nexec [\"local\"], $b\n"
                    "halt 0\n", file="t.skasm")
    assert run_program(prog, Recording(work)).exit_code == 0
    assert seen == [("fetch", True), ("local", False)]


@pytest.mark.parametrize("module", ["skvmc.bench.cli", "skvmc.profiler.cli"])
def test_bench_and_profile_take_the_sandbox_option(module):
    import importlib

    parser = importlib.import_module(module).build_parser()
    action = next(a for a in parser._actions if a.dest == "sandbox")
    assert action.default == "bwrap" and tuple(action.choices) == sb.MODES


# ------------------------------------------------------------------ container path aliases
@needs_bwrap
def test_container_paths_are_the_workdir(work):
    """SkillsBench instructions name /root/... and /app/...: both show the workdir, and the
    mount points bwrap makes for a Python under /root (~/.pyenv) do not stay behind."""
    (work / "data.txt").write_text("hi")
    host = SandboxHost(work)
    code = ("import os; print(open('/root/data.txt').read()); "
            "open('/app/out.txt', 'w').write('from app'); "
            "os.makedirs('/root/sub', exist_ok=True); open('/root/sub/x', 'w').write('1')")
    r = host.run([PY, "-c", code])
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "hi"
    assert (work / "out.txt").read_text() == "from app"
    assert (work / "sub" / "x").read_text() == "1"
    assert sorted(p.name for p in work.iterdir()) == ["data.txt", "out.txt", "sub"]


def test_host_maps_container_paths_for_read_and_write(work):
    host = SandboxHost(work, sandbox="process")
    host.write_file("/app/reports/a.txt", "x")
    assert (work / "reports" / "a.txt").read_text() == "x"
    assert host.read_file("/root/reports/a.txt") == "x"
    assert host.read_file(f"{work.resolve()}/reports/a.txt") == "x"
    assert host.exists("/root") and host.resolve("/app/") == work.resolve()
    for bad in ("/rootfs/a.txt", "/etc/passwd", "/root/../etc/passwd", "/application/x"):
        with pytest.raises(SandboxError):
            host.resolve(bad)


def test_no_alias_for_a_workdir_under_it():
    # binding /root over a workdir inside /root would recurse: that alias is left out
    assert "/root" not in sb.alias_targets("/root/tasks/t1")
    assert sb.alias_targets("/tmp/w") == list(sb.WORKDIR_ALIASES)
    assert sb.alias_mountpoints("/tmp/w", ["/root/.pyenv/versions/3.11"]) == ["/tmp/w/.pyenv"]
    assert sb.alias_mountpoints("/tmp/w", ["/usr/lib/python3"]) == []


def test_the_exposed_skill_folder_is_readable_by_absolute_path_and_nothing_else(tmp_path):
    from skvmc.vm import SandboxHost
    from skvmc.vm.host import SandboxError
    work, skill, other = tmp_path / "w", tmp_path / "skill", tmp_path / "other"
    for d in (work, skill / "scripts", other):
        d.mkdir(parents=True)
    (skill / "scripts" / "run.py").write_text("print(1)\n", encoding="utf-8")
    (other / "secret.txt").write_text("no\n", encoding="utf-8")
    (skill / "leak").symlink_to(other / "secret.txt")
    host = SandboxHost(work)
    host.expose(str(skill))
    assert host.read_file(str(skill / "scripts" / "run.py")) == "print(1)\n"
    assert host.read_head(str(skill / "scripts" / "run.py"), 5) == "print"
    for path in (str(other / "secret.txt"), str(skill / "leak"),
                 str(skill / ".." / "other" / "secret.txt")):
        with pytest.raises(SandboxError):
            host.read_file(path)
    with pytest.raises(SandboxError, match="absolute path refused"):
        host.write_file(str(skill / "scripts" / "run.py"), "x")  # read-only: writes refused
