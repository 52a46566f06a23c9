"""Start and stop ``skvmc serve`` for a harness bench.

The server is a child process (its own session, so a stop reaches llama.cpp's threads too)
on a free loopback port; the port is read from the first line it prints. One server serves
every run of a bench, one request at a time, so the KV cache of the harness's system prompt
is reused from one run to the next (llama.cpp keeps the last prompt's prefix).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

_READY = re.compile(r"on (http://127\.0\.0\.1:\d+/v1)")


class ServeError(RuntimeError):
    """The server did not come up."""


class Server:
    def __init__(self, model: str, *, n_ctx: int = 16384, log: Path | None = None,
                 start_timeout_s: float = 300.0):
        self.model, self.n_ctx, self.log = model, n_ctx, log
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen | None = None
        self.api_base = ""

    def start(self) -> str:
        argv = [sys.executable, "-m", "skvmc.cli", "serve", self.model, "--port", "0",
                "--n-ctx", str(self.n_ctx), "-v"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True)
        lines: list[str] = []
        found = threading.Event()

        def pump():  # keep draining stderr (a full pipe would block the server)
            log = open(self.log, "a", encoding="utf-8") if self.log else None
            try:
                for line in self.proc.stderr:
                    if log:
                        log.write(line)
                        log.flush()
                    if not found.is_set():
                        lines.append(line)
                        m = _READY.search(line)
                        if m:
                            self.api_base = m.group(1)
                            found.set()
            finally:
                if log:
                    log.close()

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + self.start_timeout_s
        while not found.wait(0.2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ServeError("skvmc serve did not start: " + "".join(lines)[-600:].strip())
        return self.api_base

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # serve stops cleanly on SIGTERM
            self.proc.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
