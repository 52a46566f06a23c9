"""Finding references to bundle files (and links) in skill text, and checking they exist."""

from __future__ import annotations

import fnmatch
import os

# Folders that skills conventionally bundle; a path starting with one is a bundle reference
# even when the folder is missing (that is exactly the broken reference we want to report).
CONVENTIONAL_DIRS = {
    "scripts", "script", "reference", "references", "templates", "template", "assets",
    "examples", "resources", "docs", "lib", "bin", "core", "themes", "data", "tools",
    "src", "utils", "ooxml", "canvas-fonts",
}

def find_links(text: str) -> list[dict]:
    """Markdown links of ``text`` ({text, url}), from the inline grammar's tokens."""
    from skvmc.frontend.inline import find_links as links

    return links(text)


NOT_BUNDLED = {"__pycache__", ".DS_Store"}


def list_bundle(skill_dir: str, limit: int | None = None) -> list[str]:
    """Every file under the skill folder, as sorted relative POSIX paths. Hidden folders
    (.git, .venv ...) and caches are not part of a skill; ``limit`` caps the listing."""
    out: list[str] = []
    for root, dirs, files in os.walk(skill_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in NOT_BUNDLED)
        rel = os.path.relpath(root, skill_dir)
        for name in sorted(files):
            if name in NOT_BUNDLED:
                continue
            out.append(name if rel == "." else f"{rel}/{name}".replace(os.sep, "/"))
            if limit is not None and len(out) >= limit:
                return out
    return out


class BundleIndex:
    """What the skill folder holds, for existence and letter-case checks."""

    def __init__(self, files: list[str]):
        self.files = set(files)
        self.dirs = {"/".join(f.split("/")[:i]) for f in files for i in range(1, f.count("/") + 1)}
        self.top = {f.split("/")[0] for f in files if "/" in f}  # top-level folders, as named
        self._lower = {}
        for p in sorted(self.files | self.dirs):
            self._lower.setdefault(p.lower(), p)

    def resolve(self, path: str) -> tuple[bool, str | None]:
        """(exists, actual path when only the letter case differs)."""
        path = path.rstrip("/")
        if any(c in path for c in "*?["):
            return any(fnmatch.fnmatchcase(f, path) for f in self.files), None
        if path in self.files or path in self.dirs:
            return True, None
        actual = self._lower.get(path.lower())
        return False, actual

    def is_candidate(self, path: str, why: str) -> bool:
        """Whether a mention is a bundle reference. A link target or an explicit ``./path``
        is; a bare or code-span path is when the bundle has it (letter case aside) or it
        starts with a folder skills conventionally bundle (``scripts/``); prose slashes
        (``Python/Ruby``) and the user's own files (``package.json``) are not."""
        if path == "SKILL.md":
            return False
        if why in ("link", "explicit"):
            return True
        if path.lower() in self._lower or path.lower().rstrip("/") in self._lower:
            return True
        if why == "codeblock":  # example code names the user's files (src/app.ts): only
            return False        # what the bundle has is a reference
        first = path.split("/")[0]  # and something inside it: `data/` alone may be the user's
        return "/" in path.rstrip("/") and (first in CONVENTIONAL_DIRS or first in self.top)


WHY = {
    "link": "the target of a Markdown link",
    "explicit": "an explicit ./ path",
    "code": "a path in a code span",
    "bare": "a path under a folder skills bundle",
    "codeblock": "a bundle path in a code block",
}


def find_refs(text: str, bundle: BundleIndex, code: bool = False) -> list[tuple[str, str]]:
    """Bundle paths mentioned in ``text`` (a code block's body when ``code``), each with why
    it was read as one (a key of :data:`WHY`), in order, without repeats."""
    from skvmc.frontend.inline import scan

    return [(path, why) for path, why, _ in select_refs(scan(text)[1], bundle, code)]


def select_refs(mentions, bundle: BundleIndex, code: bool = False) -> list[tuple[str, str, int]]:
    """The bundle references among ``mentions`` (``inline.scan``'s), first mention of each:
    (path, why, offset in the text)."""
    found: list[tuple[str, str, int]] = []
    seen: set[str] = set()  # membership in O(1): a paragraph may hold thousands of paths
    for m in mentions:
        why = "codeblock" if code else m.why
        if m.path not in seen and bundle.is_candidate(m.path, why):
            seen.add(m.path)
            found.append((m.path, why, m.offset))
    return found
