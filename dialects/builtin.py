"""The builtin dialect: the module that holds everything else."""

from skvmc.opdef import CarriesModuleFacts, Dialect, opt

DIALECT = Dialect("builtin", "top-level container")

MODULE = DIALECT.op(
    "module",
    "The compilation unit: one skill. Attributes record where it came from.",
    regions=1,
    attributes={
        "skill_dir": opt("str", doc="the skill folder as given (for bundle lookups)"),
        "source": opt("str", doc="the SKILL.md file name inside the folder"),
        "line_ending": opt("str", choices=("lf", "crlf")),
        "bom": opt("bool"),
    },
    traits=(CarriesModuleFacts,),  # e.g. flow's concurrency summary
)
