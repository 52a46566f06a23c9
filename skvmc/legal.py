"""Legal-op sets for backends: each backend says which ops it accepts and how it handles them.

A backend that meets an op it does not know must not drop it silently (an op a new pass adds
would vanish from the output). So every backend builds one :class:`LegalOps` table,
op name -> handler (``None``: accepted, emits nothing), checks the module against it before
emitting (:meth:`LegalOps.check`) and dispatches through it (:meth:`LegalOps.dispatch`).
An op outside the table is a located compile error naming the op and the backend::

    SKILL.md:12:1: error: 'flow.retry' op is not legal for the bytecode backend

Usage::

    LEGAL = LegalOps("bytecode", {"skill.step": _Lowering.step, "skill.rule": None, ...})
    LEGAL.check(inp.module, inp.diags)      # all illegal ops reported, then CompileError
    LEGAL.dispatch(op, lowering)            # calls _Lowering.step(lowering, op)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from skvmc.diagnostics import CompileError, DiagnosticEngine
from skvmc.ir import MODULE_OP, Operation
from skvmc.memo import ByIdentity


def _below(root: Operation) -> frozenset[str]:
    return frozenset(op.name for op in root.walk() if op is not root)


_names_below = ByIdentity(_below)  # the op names under a module, per module object


class LegalOps:
    """One backend's accepted ops and their handlers."""

    def __init__(self, backend: str, handlers: Mapping[str, Callable | None],
                 skip: Iterable[str] = ()):
        self.backend = backend
        self.handlers: dict[str, Callable | None] = dict(handlers)
        for name in skip:  # accepted, nothing to emit
            self.handlers.setdefault(name, None)

    def __contains__(self, name: str) -> bool:
        return name in self.handlers

    @property
    def ops(self) -> frozenset[str]:
        return frozenset(self.handlers)

    def message(self, op: Operation) -> str:
        return f"'{op.name}' op is not legal for the {self.backend} backend"

    def illegal(self, root: Operation) -> list[Operation]:
        """Every op under ``root`` (the module itself excepted) outside the set."""
        if (root.name in self.handlers or root.name == MODULE_OP) \
                and self.handlers.keys() >= _names_below(root):
            return []  # every backend of a target checks the same module: its names once
        return [op for op in root.walk()
                if op.name not in self.handlers and not (op is root and op.name == MODULE_OP)]

    def check(self, root: Operation, diags: DiagnosticEngine | None = None) -> None:
        """Report each illegal op as an error (when ``diags`` is given), then raise."""
        bad = self.illegal(root)
        if not bad:
            return
        for op in bad:
            if diags is not None:
                diags.error(self.message(op), op.loc if op.loc.line else None,
                            code="backend-illegal-op")
        raise CompileError("; ".join(dict.fromkeys(self.message(op) for op in bad)))

    def dispatch(self, op: Operation, *context):
        """``handler(*context, op)``; an op outside the set raises CompileError."""
        if op.name not in self.handlers:
            raise CompileError(self.message(op))
        handler = self.handlers[op.name]
        return None if handler is None else handler(*context, op)

