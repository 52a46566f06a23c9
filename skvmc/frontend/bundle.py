"""Reading bundle files safely: what the prompt backend copies beside the compiled SKILL.md.

A skill folder is untrusted input. A bundled symlink may point at ``/etc/passwd`` (copying it
would leak it into the output) or at ``/dev/zero`` (reading never ends); a FIFO blocks a read
forever; a huge file fills memory. :func:`read_bundle_file` looks at each entry with
``lstat`` first and copies only regular files that stay inside the skill folder, within a
per-file and a total size limit. Everything it refuses is a warning at the bundle file's path,
and the file is skipped.
"""

from __future__ import annotations

import os
import stat

import attrs

from skvmc.diagnostics import DiagnosticEngine
from skvmc.fsutil import read_limited
from skvmc.ir import Location

MB = 1 << 20
DEFAULT_MAX_FILE = 10 * MB
DEFAULT_MAX_TOTAL = 100 * MB


@attrs.frozen
class BundleLimits:
    max_file: int = DEFAULT_MAX_FILE  # bytes per bundle file
    max_total: int = DEFAULT_MAX_TOTAL  # bytes over the whole bundle


def _inside(root: str, path: str) -> bool:
    return os.path.commonpath([root, path]) == root


def read_bundle_file(skill_dir: str, rel: str, diags: DiagnosticEngine,
                     limits: BundleLimits = BundleLimits(), used: int = 0) -> bytes | None:
    """The bytes of bundle file ``rel`` (POSIX, relative to ``skill_dir``), or None after a
    warning when it must not be copied: a symlink leaving the skill folder (or dangling), a
    special file (FIFO, device, socket), a file over ``limits.max_file``, or one that would
    take the bundle (``used`` bytes so far) over ``limits.max_total``."""
    path = os.path.join(skill_dir, *rel.split("/"))
    where = Location(path)  # no line: a bundle file is not text we show

    def skip(why: str) -> None:
        diags.warning(f"bundle file not copied: {why}", where, code="bundle-skipped")

    root = os.path.realpath(skill_dir)
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            real = os.path.realpath(path)
            if not _inside(root, real):
                skip(f"it is a symlink to '{os.readlink(path)}', outside the skill folder")
                return None
            if not os.path.exists(real):
                skip(f"it is a dangling symlink to '{os.readlink(path)}'")
                return None
            info = os.stat(real)
            path = real
        elif not _inside(root, os.path.realpath(path)):  # a symlinked folder on the way
            skip("its folder is a symlink outside the skill folder")
            return None
        if not stat.S_ISREG(info.st_mode):
            skip(f"it is a {_kind(info.st_mode)}, not a regular file")
            return None
        if info.st_size > limits.max_file:
            skip(f"it is {info.st_size} bytes, over the per-file limit of {limits.max_file} "
                 "(--max-bundle-file-size)")
            return None
        if used + info.st_size > limits.max_total:
            skip(f"the bundle would exceed {limits.max_total} bytes in total "
                 "(--max-bundle-size)")
            return None
        # O_NOFOLLOW | O_NONBLOCK: if the entry became a link or a FIFO after lstat, the open
        # fails or returns at once instead of following or blocking.
        data = read_limited(path, limits.max_file, "bundle file", nofollow=True)
    except (OSError, ValueError) as err:
        skip(f"cannot read it: {getattr(err, 'strerror', None) or err}")
        return None
    if used + len(data) > limits.max_total:  # it grew between stat and read
        skip(f"the bundle would exceed {limits.max_total} bytes in total (--max-bundle-size)")
        return None
    return data


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISDIR(mode):
        return "folder"
    return "special file"


class BundleReader:
    """Reads a skill's bundle once (warnings included), however many targets copy it; lists
    the skill folder once, however many passes and backends of however many targets ask."""

    def __init__(self, skill_dir: str, diags: DiagnosticEngine | None = None,
                 limits: BundleLimits | None = None):
        self.skill_dir = skill_dir
        self.diags = diags if diags is not None else DiagnosticEngine()
        self.limits = limits or BundleLimits()
        self.used = 0
        self._cache: dict[str, bytes | None] = {}
        self._files: tuple[str, ...] | None = None

    def files(self, limit: int | None = None) -> list[str]:
        """``refs.list_bundle(skill_dir, limit)``: the listing is in walk order, so a limited
        one is the start of the whole one."""
        if self._files is None:
            from skvmc.frontend.refs import list_bundle

            self._files = tuple(list_bundle(self.skill_dir))
        return list(self._files if limit is None else self._files[:limit])

    def read(self, rel: str) -> bytes | None:
        if rel not in self._cache:
            data = read_bundle_file(self.skill_dir, rel, self.diags, self.limits, self.used)
            if data is not None:
                self.used += len(data)
            self._cache[rel] = data
        return self._cache[rel]
