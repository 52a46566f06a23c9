"""The ``skir`` backend: the lowered module as IR text (with locations)."""

from skvmc.printer import print_module


def emit(inp) -> dict[str, bytes]:
    return {"skill.skir": print_module(inp.module, True).encode("utf-8")}
