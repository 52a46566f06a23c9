"""Old import names of moved modules: ``alias({"old.name": "new.name"})`` makes ``old.name``
and every ``old.name.sub`` import as the very module ``new.name[.sub]`` (one object under two
names, so isinstance checks and module state agree). Used where code moved between layers,
so callers and branches written against the old names keep working."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self):
        self.moved: dict[str, str] = {}

    def _new_name(self, name: str) -> str | None:
        for old, new in self.moved.items():
            if name == old or name.startswith(old + "."):
                return new + name[len(old):]
        return None

    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if self._new_name(name) else None

    def create_module(self, spec):
        return importlib.import_module(self._new_name(spec.name))

    def exec_module(self, module):  # already executed under its new name
        pass


_FINDER = _MovedFinder()


def alias(moved: dict[str, str]) -> None:
    _FINDER.moved.update(moved)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
