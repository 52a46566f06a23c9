"""JSONL run traces (record types documented in docs/bytecode.md, "Traces")."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class TraceWriter:
    """Appends one JSON object per line; safe to call from fork-branch threads."""

    def __init__(self, path):
        self.path = str(path)
        self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - open for the run
        self._lock = threading.Lock()
        self.t0 = time.monotonic()

    def write(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False, default=str, sort_keys=False)
        with self._lock:
            self._fh.write(line + "\n")
            if record.get("type") != "instr":  # model calls and the end reach disk at once
                self._fh.flush()

    def close(self) -> None:
        with self._lock:
            self._fh.close()


def read_trace(path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
