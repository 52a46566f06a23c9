"""Writing the output folder: built beside and renamed into place when it is new
(``fsutil.AtomicDir``), brought up to date in place when it exists.

A recompile mostly produces the bytes the folder already holds (a warm ``--cache-dir`` run
always does). Replacing the folder then cost a create per file and an unlink plus rmdir per
old entry: thousands of journaled metadata writes, seconds on a busy disk. The update reads
the folder back instead (a listing and one read per file, ~0.1 s for 5,000 files) and writes
only what differs:

1. every new or changed file is written into a staging folder beside ``OUT`` first (an
   ``AtomicDir`` temporary folder, so a killed run's leftovers are removed by the next one),
   so a write error (a full disk) leaves ``OUT`` untouched;
2. then entries that are no longer produced are removed, staged files are renamed into
   place (each ``os.replace`` is atomic) and modes fixed.

The result is what a rebuild gives (same paths, bytes and modes, nothing else). A run killed
during step 2 leaves a mix of old and new files, which the next compile repairs (it compares
contents, it trusts no record of what it wrote).
"""

from __future__ import annotations

import os
import shutil
import stat

import attrs

from skvmc.fsutil import AtomicDir, UnsafePath, remove_stale_temp_dirs


@attrs.define
class Written:
    """What a write did (for tests and the bench): file counts."""

    written: int = 0
    removed: int = 0
    kept: int = 0
    rebuilt: bool = False  # a new folder was built and renamed into place


def write_output(out_dir: str, files: dict[str, tuple[bytes, int | None]]) -> Written:
    """Make ``out_dir`` hold exactly ``files`` (relative POSIX path -> (bytes, mode or None)).
    The paths must have passed ``fsutil.check_tree``. Raises UnsafePath (with ``rel`` set to
    the path) or OSError."""
    out_dir = os.path.abspath(out_dir)
    if os.path.isdir(out_dir) and not os.path.islink(out_dir):
        return _update(out_dir, files)
    folder = AtomicDir(out_dir)
    with folder:
        for rel, (data, mode) in files.items():
            _write(folder, rel, data, mode)
    return Written(written=len(files), rebuilt=True)


def _write(folder: AtomicDir, rel: str, data: bytes, mode: int | None) -> None:
    try:
        folder.write(rel, data, mode)
    except UnsafePath as err:
        err.rel = rel  # the caller locates the error at the skill that made the path
        raise


class _Staging(AtomicDir):
    """An AtomicDir whose folder is never renamed into place: its files are moved out one by
    one, and what is left (empty folders, or everything after an error) is removed."""

    def __exit__(self, exc_type, exc, tb) -> bool:
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False


def _listing(root: str) -> tuple[dict[str, bool], set[str]]:
    """What ``root`` holds: non-folder paths (True for a regular file; False for a link, FIFO,
    ...) and folder paths. Links are not followed; ``scandir``'s d_type costs no ``stat``."""
    entries: dict[str, bool] = {}
    dirs: set[str] = set()
    stack = [""]
    while stack:
        rel = stack.pop()
        with os.scandir(os.path.join(root, rel) if rel else root) as it:
            for e in it:
                sub = f"{rel}/{e.name}" if rel else e.name
                if e.is_dir(follow_symlinks=False):
                    dirs.add(sub)
                    stack.append(sub)
                else:
                    entries[sub] = e.is_file(follow_symlinks=False)
    return entries, dirs


def _current_mode(path: str, data: bytes) -> int | None:
    """The permission bits of the regular file ``path`` when it holds exactly ``data``, else
    None (different, unreadable, or not a regular file)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
            return None
        chunks, total = [], 0
        while total <= len(data):  # one read for most files; the extra byte catches growth
            chunk = os.read(fd, len(data) + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        same = (chunks[0] if len(chunks) == 1 else b"".join(chunks)) == data if chunks \
            else not data
        return stat.S_IMODE(info.st_mode) if same else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _update(out_dir: str, files: dict[str, tuple[bytes, int | None]]) -> Written:
    entries, dirs = _listing(out_dir)
    default_mode = 0o666 & ~_umask()  # what a newly created artifact gets
    changed, chmods, kept = [], [], 0
    for rel, (data, mode) in files.items():
        want = default_mode if mode is None else mode
        have = _current_mode(os.path.join(out_dir, rel), data) if entries.get(rel) else None
        if have is None:
            changed.append(rel)
        elif have != want:
            chmods.append((rel, want))
        else:
            kept += 1
    needed = {rel.rsplit("/", 1)[0] for rel in files if "/" in rel}
    for d in list(needed):  # every ancestor folder of an artifact
        while "/" in d:
            d = d.rsplit("/", 1)[0]
            if d in needed:
                break
            needed.add(d)
    stale = [rel for rel in entries if rel not in files]
    stale_dirs = sorted(d for d in dirs if d not in needed)
    if not changed and not stale and not stale_dirs:
        for rel, want in chmods:
            os.chmod(os.path.join(out_dir, rel), want)
        return Written(kept=kept + len(chmods))
    remove_stale_temp_dirs(os.path.dirname(out_dir))
    staging = _Staging(out_dir)
    with staging:
        for rel in changed:  # every new byte on disk before OUT is touched
            data, mode = files[rel]
            _write(staging, rel, data, mode)
        for rel in stale:
            os.unlink(os.path.join(out_dir, rel))
        top: set[str] = set()  # the outermost stale folders (sorted: parents come first)
        for d in stale_dirs:
            parts = d.split("/")
            if not any("/".join(parts[:i]) in top for i in range(1, len(parts))):
                top.add(d)
                shutil.rmtree(os.path.join(out_dir, d))
        real_out = os.path.realpath(out_dir)
        checked: set[str] = set()
        for rel in changed:
            parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
            if parent not in checked:  # the folders kept are real ones, but check anyway
                folder = os.path.join(out_dir, parent)
                os.makedirs(folder, exist_ok=True)
                if os.path.commonpath([real_out, os.path.realpath(folder)]) != real_out:
                    err = UnsafePath(f"output path {rel!r} resolves outside the output folder")
                    err.rel = rel
                    raise err
                checked.add(parent)
            os.replace(os.path.join(staging.tmp, rel), os.path.join(out_dir, rel))
        for rel, want in chmods:
            os.chmod(os.path.join(out_dir, rel), want)
    return Written(written=len(changed), removed=len(stale) + len(top), kept=kept + len(chmods))


class Streamed:
    """A new output folder written while the compile still runs.

    With ``-j N`` the parent process only waits for its workers, yet it wrote the whole folder
    after the last result (~5,000 files for the corpus x 9 targets: 0.2-2 s of system time, a
    serial tail that capped the speedup). Here one thread writes each result's files as it
    arrives (``add``) into an ``AtomicDir``'s temporary folder. ``finish(files)`` renames it
    into place only when it holds exactly ``files``, the complete folder the usual write would
    make (same paths, same bytes objects, same modes); otherwise (a failed compile, two
    results claiming one path, a path that cannot be written) it is discarded and False says
    the caller writes the usual way, which also reports what went wrong."""

    def __init__(self, out_dir: str):
        import queue
        import threading

        self.folder = AtomicDir(out_dir)
        self.folder.__enter__()
        self.written: dict[str, tuple[bytes, int | None]] = {}
        self.spoiled = False
        self._closed = False
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="skvmc-output", daemon=True)
        self._thread.start()

    def add(self, files: dict[str, tuple[bytes, int | None]]) -> None:
        self._queue.put(files)

    def spoil(self) -> None:
        """Nothing more is worth writing (a result failed): ``finish`` will discard."""
        self.spoiled = True

    def _run(self) -> None:
        while (files := self._queue.get()) is not None:
            for rel, (data, mode) in files.items():
                if self.spoiled:
                    break
                if rel in self.written:  # the usual write decides which one wins
                    self.spoiled = True
                    break
                try:
                    self.folder.write(rel, data, mode)
                except (OSError, ValueError):  # UnsafePath is a ValueError
                    self.spoiled = True
                    break
                self.written[rel] = (data, mode)

    def _stop(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def finish(self, files: dict[str, tuple[bytes, int | None]]) -> bool:
        """Rename the folder into place if it holds exactly ``files``; else discard it."""
        if self._closed:
            return False
        self._closed = True
        self._stop()
        done = self.written
        complete = not self.spoiled and len(done) == len(files) and all(
            (got := done.get(rel)) is not None and got[0] is data and got[1] == mode
            for rel, (data, mode) in files.items())
        if not complete:
            self.folder.__exit__(RuntimeError, None, None)  # removes the temporary folder
            return False
        self.folder.__exit__(None, None, None)
        return True

    def discard(self) -> None:
        """Remove the temporary folder (a no-op once finished or discarded)."""
        if self._closed:
            return
        self._closed = True
        self._stop()
        self.folder.__exit__(RuntimeError, None, None)
