"""File output that never leaves partial results: write beside, then rename into place."""

from __future__ import annotations

import os
import shutil
import tempfile


def atomic_write_bytes(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".skvmc-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path, data) -> None:
    """JSON state files (JIT store, overlays): sorted keys, so rewrites diff cleanly."""
    import json

    atomic_write_text(str(path), json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False))


class AtomicDir:
    """A folder built under a temporary name and renamed to ``path`` on success.

    ``with AtomicDir(out) as tmp: write files under tmp``. On an exception the temporary folder
    is removed and ``path`` is untouched; on success an existing ``path`` is replaced.
    """

    def __init__(self, path: str):
        self.path = os.path.abspath(path)
        self.tmp = ""

    def __enter__(self) -> str:
        parent = os.path.dirname(self.path)
        os.makedirs(parent, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix=".skvmc-out-", dir=parent)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        if os.path.isdir(self.path):
            old = self.path + ".old-skvmc"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(self.path, old)
            os.replace(self.tmp, self.path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(self.tmp, self.path)
        return False
