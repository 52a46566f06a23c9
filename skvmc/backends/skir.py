"""The ``skir`` backend: the lowered module as IR text (with locations)."""

from skvmc.printer import print_module_bytes


def emit(inp) -> dict[str, bytes]:
    return {"skill.skir": print_module_bytes(inp.module, True)}
