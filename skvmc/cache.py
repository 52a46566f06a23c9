"""A content-addressed compile cache (``--cache-dir DIR``).

key = sha256(skill folder bytes (SKILL.md and every bundled file, with their paths),
pipeline spec, target fingerprint (descriptors and effective profile levels), backends,
compiler fingerprint (version and the bytes of its own source and data files)).

An entry holds what a compile produced for one (skill, target): the artifact files, where the
prompt backend put SKILL.md, and the diagnostics as rendered text with their counts, so a warm
run prints the same warnings. Only successful compiles are stored. Entries are written
atomically (``fsutil.atomic_write_bytes``); a torn or foreign file is a miss, never an error.

File format: one JSON header line ``{"files": [[path, size], ...], ...}`` then the file bytes
back to back (no base64, no pickle: reading an entry never runs code).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os

from skvmc.fsutil import atomic_write_bytes

FORMAT = "skvmc-cache-1"
NOT_HASHED = {"__pycache__", ".DS_Store"}


def _files_under(folder: str) -> list[str]:
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in NOT_HASHED)
        for name in sorted(files):
            if name not in NOT_HASHED:
                out.append(os.path.join(root, name))
    return out


def skill_digest(path: str) -> str:
    """sha256 over the skill folder: relative path and bytes of every file (sorted)."""
    h = hashlib.sha256()
    folder = os.path.dirname(os.path.abspath(path)) if os.path.isfile(path) else path
    if os.path.isfile(path):  # a SKILL.md given by name: its own name matters too
        h.update(os.path.basename(path).encode() + b"\0")
    for file in _files_under(folder):
        rel = os.path.relpath(file, folder).replace(os.sep, "/")
        try:
            with open(file, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()


@functools.cache
def compiler_fingerprint() -> str:
    """Version + the bytes of every source and data file of the installed compiler, so an
    edited pass (same version number) never reads stale entries."""
    import importlib.util

    from skvmc import __version__

    h = hashlib.sha256(__version__.encode())
    for package in ("skvmc", "skvmc.passes", "skvmc.targets", "skvmc.dialects", "skvmc.grammar"):
        spec = importlib.util.find_spec(package)
        for loc in (spec.submodule_search_locations or []) if spec else []:
            for file in _files_under(loc):
                if file.endswith((".py", ".json", ".lark")):
                    with open(file, "rb") as fh:
                        h.update(file.rsplit(os.sep, 1)[-1].encode() + fh.read())
    return h.hexdigest()


@functools.cache
def target_fingerprint(spec: str) -> str:
    """What the target contributes: its descriptors and the effective profile's levels."""
    from skvmc.targets import TargetError, effective_profile, parse_target

    try:
        target = parse_target(spec)
        levels = sorted(effective_profile(target).levels.items())
    except (TargetError, ValueError) as err:
        return f"{spec}!{err}"
    return f"{spec}|{target!r}|{levels!r}"


def key(skill_hash: str, pipeline: str, target_spec: str, backends) -> str:
    h = hashlib.sha256()
    for part in (FORMAT, compiler_fingerprint(), skill_hash, pipeline,
                 target_fingerprint(target_spec), ",".join(backends or ("*",))):
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()


class Cache:
    def __init__(self, root: str):
        self.root = os.path.abspath(root)

    def path(self, k: str) -> str:
        return os.path.join(self.root, k[:2], k + ".entry")

    def get(self, k: str) -> dict | None:
        """The entry (header fields + ``files``: path -> bytes), or None."""
        try:
            with open(self.path(k), "rb") as fh:
                blob = fh.read()
        except OSError:
            return None
        nl = blob.find(b"\n")
        try:
            head = json.loads(blob[:nl])
            if head.get("format") != FORMAT:
                return None
            files, pos = {}, nl + 1
            for name, size in head.pop("files"):
                files[name] = blob[pos:pos + size]
                pos += size
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        if pos != len(blob):
            return None
        head["files"] = files
        return head

    def put(self, k: str, files: dict[str, bytes], **meta) -> None:
        head = {**meta, "format": FORMAT, "files": [[n, len(d)] for n, d in files.items()]}
        data = json.dumps(head, separators=(",", ":")).encode() + b"\n" + b"".join(files.values())
        try:
            atomic_write_bytes(self.path(k), data)
        except OSError:
            pass  # a full or read-only cache costs a recompile next time, never this compile


def usage_problem(root: str | None) -> str | None:
    """Why ``--cache-dir root`` cannot be used (a usage error), or None."""
    if root and os.path.exists(root) and not os.path.isdir(root):
        return f"--cache-dir {root} exists and is not a folder"
    return None
