"""Targets: MODEL+HARNESS pairs, their descriptors and capability profiles (TCP).

See docs/targets.md. Data files (models/, harnesses/, profiles/, schemas/, primitives.json)
ship inside this package; nothing here reads ../shared.
"""

from skvmc.moved import alias
from skvmc.targets.descriptors import (
    ACTIONS,
    HarnessDescriptor,
    ModelDescriptor,
    list_harnesses,
    list_models,
    load_harness_file,
    load_model_file,
)
from skvmc.targets.profile import (
    LEVEL_NAMES,
    Profile,
    catalogue,
    level_name,
    load_profile,
    parse_level,
    primitive_ids,
)
from skvmc.targets.target import (
    PROFILE_PATH_ENV,
    Target,
    TargetError,
    effective_profile,
    find_measured_pair,
    get_harness,
    get_model,
    parse_target,
)

# The backends moved to skvmc.backends (code generation is not target configuration); the old
# name stays importable.
alias({"skvmc.targets.backends": "skvmc.backends"})

__all__ = [
    "ACTIONS",
    "LEVEL_NAMES",
    "PROFILE_PATH_ENV",
    "HarnessDescriptor",
    "ModelDescriptor",
    "Profile",
    "Target",
    "TargetError",
    "catalogue",
    "effective_profile",
    "find_measured_pair",
    "get_harness",
    "get_model",
    "level_name",
    "list_harnesses",
    "list_models",
    "load_harness_file",
    "load_model_file",
    "load_profile",
    "parse_level",
    "parse_target",
    "primitive_ids",
]
