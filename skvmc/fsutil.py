"""File output that never leaves partial results (write beside, then rename into place), and
the checks that keep every output path inside the folder it is written to."""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile

# A name used as one folder name of an output path (the frontmatter ``name``, a harness's
# skills folder): no separators, no control characters (NUL included), not "." or "..".
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_COMPONENT_BYTES = 255  # what common file systems allow for one name


def path_component_problem(name: str) -> str | None:
    """Why ``name`` cannot be one component of an output path, or None when it can."""
    if not isinstance(name, str) or not name:
        return "it is empty"
    if _CONTROL.search(name):
        char = _CONTROL.search(name).group()
        return f"it contains the control character {char!r}"
    if "/" in name or "\\" in name:
        return "it contains a path separator ('/' or '\\')"
    if name in (".", ".."):
        return f"'{name}' names a folder relative to another"
    if len(name.encode("utf-8")) > MAX_COMPONENT_BYTES:
        return f"it is longer than {MAX_COMPONENT_BYTES} bytes"
    if name != name.strip():
        return "it starts or ends with white space"
    return None


class UnsafePath(ValueError):
    """An output path that would leave its folder (or cannot be a file name at all)."""


_DRIVE = re.compile(r"[A-Za-z]:")


@functools.lru_cache(maxsize=4096)
def _component_problem(name: str) -> str | None:
    # the same few hundred names (targets, harness folders, file names) recur in thousands of
    # output paths
    return path_component_problem(name)


def relative_parts(rel: str) -> list[str]:
    """The components of a relative POSIX output path; UnsafePath when it is absolute, has
    '..', empty or '.' parts, or a component no file system takes."""
    if not isinstance(rel, str) or not rel:
        raise UnsafePath("empty output path")
    if rel.startswith("/") or _DRIVE.match(rel):
        raise UnsafePath(f"output path {rel!r} is absolute")
    parts = rel.split("/")
    for part in parts:
        problem = _component_problem(part)
        if problem:
            raise UnsafePath(f"output path {rel!r} leaves the output folder or is not a file "
                             f"name: component {part!r}: {problem}")
    return parts


def confined(root: str, rel: str) -> str:
    """``root/rel`` after checking that it stays inside ``root`` (symlinks resolved)."""
    path = os.path.join(root, *relative_parts(rel))
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root:
        raise UnsafePath(f"output path {rel!r} resolves outside the output folder")
    return path


def check_tree(files) -> list[tuple[str, str]]:
    """(path, problem) for every path of an output tree that cannot be written: unsafe ones,
    and a file that another path needs as a folder."""
    problems = []
    dirs: set[str] = set()
    good = []
    for rel in files:
        try:
            relative_parts(rel)
        except UnsafePath as err:
            problems.append((rel, str(err)))
            continue
        good.append(rel)
        folder = rel
        while "/" in folder:  # its folders, up to the first one already known
            folder = folder.rsplit("/", 1)[0]
            if folder in dirs:
                break
            dirs.add(folder)
    problems += [(rel, f"output path {rel!r} is both a file and a folder")
                 for rel in good if rel in dirs]
    return problems


def read_limited(path: str, limit: int, what: str = "file", nofollow: bool = False) -> bytes:
    """At most ``limit`` bytes of a regular file; OSError (ValueError for a special file or one
    over the limit) otherwise, so /dev/zero or a FIFO never hangs or fills memory."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if nofollow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        import stat

        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{what} is not a regular file")
        if info.st_size > limit:
            raise ValueError(f"{what} is {info.st_size} bytes, more than the limit of {limit}")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # grew while we read
                raise ValueError(f"{what} is more than the limit of {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


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


TMP_PREFIX = ".skvmc-out-"  # + "<pid>-<random>": the pid tells whether its writer still runs
_TMP_NAME = re.compile(re.escape(TMP_PREFIX) + r"(\d+)-")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return True
    return True


def remove_stale_temp_dirs(parent: str) -> list[str]:
    """Remove the temporary folders that a killed compile left in ``parent`` (those whose
    writer process is gone); returns the removed paths."""
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        m = _TMP_NAME.match(name)
        path = os.path.join(parent, name)
        if not m or _alive(int(m.group(1))):
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


class AtomicDir:
    """A folder built under a temporary name and renamed to ``path`` on success.

    ``with AtomicDir(out) as tmp: write files under tmp``. On an exception the temporary folder
    is removed and ``path`` is untouched; on success an existing ``path`` is replaced.
    Temporary folders of earlier compiles that were killed before they could clean up are
    removed first. ``write(rel, data)`` is the one way artifacts get in: it keeps every path
    inside the folder.
    """

    def __init__(self, path: str):
        self.path = os.path.abspath(path)
        self.tmp = ""

    def __enter__(self) -> str:
        parent = os.path.dirname(self.path)
        os.makedirs(parent, exist_ok=True)
        remove_stale_temp_dirs(parent)
        self.tmp = tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=parent)
        self._real = os.path.realpath(self.tmp)
        self._checked: set[str] = {self.tmp}  # folders known to resolve inside the folder
        return self.tmp

    def _folder(self, parts: list[str], rel: str) -> str:
        """The folder ``parts`` inside the temporary folder, made if missing. A folder this
        call creates (``mkdir`` inside a checked one) is real; one that already exists (made
        by someone else) is resolved and checked. No realpath per folder: it cost an
        ``lstat`` per path component, ~14,000 per corpus compile."""
        parent = os.path.join(self.tmp, *parts)
        missing = []
        folder = parent
        while folder not in self._checked:
            missing.append(folder)
            folder = os.path.dirname(folder)
        for folder in reversed(missing):
            try:
                os.mkdir(folder)
            except FileExistsError:
                real = os.path.realpath(folder)
                if os.path.commonpath([self._real, real]) != self._real:
                    raise UnsafePath(f"output path {rel!r} resolves outside the output "
                                     "folder") from None
                if not os.path.isdir(folder):
                    raise
            self._checked.add(folder)
        return parent

    def write(self, rel: str, data: bytes, mode: int | None = None) -> str:
        """Write ``data`` at ``rel`` (POSIX, relative) inside the folder; UnsafePath when the
        path would leave it."""
        parts = relative_parts(rel)
        parent = os.path.join(self.tmp, *parts[:-1])
        if parent not in self._checked:
            self._folder(parts[:-1], rel)
        path = os.path.join(parent, parts[-1])
        # O_EXCL | O_NOFOLLOW: never write through a link or over an earlier artifact. Three
        # system calls per file (open, write, close: no buffered file object, whose set-up
        # costs a stat and an ioctl), thousands of files per corpus.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except FileExistsError:
            if os.path.islink(path):
                confined(self.tmp, rel)  # UnsafePath when it leaves the folder
            raise
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(path, mode)
        return path

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
