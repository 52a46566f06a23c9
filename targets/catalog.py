"""The shipped target catalog as passes see it: through ``PassContext.targets``, never by
importing ``skvmc.targets`` (the configuration layer stays below the passes, and a caller can
hand a pass manager another catalog, e.g. descriptors it built in memory)."""

from __future__ import annotations

import attrs

from skvmc.targets.descriptors import HarnessDescriptor, list_harnesses
from skvmc.targets.profile import primitive_ids
from skvmc.targets.target import effective_profile, get_harness, parse_target


@attrs.frozen
class TargetCatalog:
    """Descriptors and profiles by name. Lookups raise ``TargetError`` (a
    ``skvmc.diagnostics.TargetLookupError``) for names that do not resolve."""

    def primitive_ids(self) -> list[str]:
        return primitive_ids()

    def harness(self, name: str) -> HarnessDescriptor:
        return get_harness(name)

    def harnesses(self) -> list[HarnessDescriptor]:
        return list_harnesses()

    def profile(self, spec: str, overlay: dict | None = None, diags=None):
        """The effective capability profile of MODEL+HARNESS ``spec`` (``diags`` gets the
        profile's warnings)."""
        return effective_profile(parse_target(spec), overlay=overlay, diags=diags)


CATALOG = TargetCatalog()
