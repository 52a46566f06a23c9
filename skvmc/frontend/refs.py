"""Finding references to bundle files (and links) in skill text, and checking they exist."""

from __future__ import annotations

import fnmatch
import os
import re

# Folders that skills conventionally bundle; a path starting with one is a bundle reference
# even when the folder is missing (that is exactly the broken reference we want to report).
CONVENTIONAL_DIRS = {
    "scripts", "script", "reference", "references", "templates", "template", "assets",
    "examples", "resources", "docs", "lib", "bin", "core", "themes", "data", "tools",
    "src", "utils", "ooxml", "canvas-fonts",
}

LINK_RE = re.compile(r"!?\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s)>\]`'\"]+")
PATH_RE = re.compile(
    r"(?<![\w/.:@$%{-])(\./)?("
    r"(?:[\w*-][\w.*-]*/)+[\w*-][\w.*-]*"  # a/b.c, a/*.md
    r"|[\w-][\w.-]*\.(?:md|py|sh|js|mjs|cjs|ts|tsx|json|txt|ya?ml|xml|html?|css|csv|toml|ini|"
    r"cfg|sql|xsd|ttf|otf|png|jpe?g|svg|pdf|docx|xlsx|pptx)"
    r")(?![\w/])"
)


def find_links(text: str) -> list[dict]:
    return [{"text": m.group(1), "url": m.group(2)} for m in LINK_RE.finditer(text)]


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
        self.top = {f.split("/")[0].lower() for f in files}
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

    def is_candidate(self, path: str, explicit: bool) -> bool:
        if "/" in path:
            first = path.split("/")[0].lower()
            return explicit or first in CONVENTIONAL_DIRS or first in self.top
        if path == "SKILL.md":
            return False
        return explicit or path.lower() in self._lower


def find_refs(text: str, bundle: BundleIndex) -> list[str]:
    """Bundle paths mentioned in ``text`` (links and bare paths), in order, without repeats."""
    found: list[str] = []
    seen: set[str] = set()  # membership in O(1): a paragraph may hold thousands of paths

    def add(path: str) -> None:
        path = path.strip().rstrip(".,:;")
        if path.startswith("./"):
            path = path[2:]
        if path and path not in seen:
            seen.add(path)
            found.append(path)

    for m in LINK_RE.finditer(text):
        url = m.group(2).split("#", 1)[0]
        if url and "://" not in url and not url.startswith(("/", "~", "mailto:", "#")):
            add(url)
    stripped = URL_RE.sub(" ", LINK_RE.sub(lambda m: " " + m.group(1) + " ", text))
    for m in PATH_RE.finditer(stripped):
        path = m.group(2).rstrip(".")
        explicit = bool(m.group(1))
        if bundle.is_candidate(path, explicit):
            add(path)
    return found
