"""The `prompt` dialect: the text a harness or model reads, with harness tool names bound.

``bind-harness`` puts one ``prompt.tools`` op at the top of the module: the bindings table
(abstract action -> this harness's tool name) for the actions the skill uses, plus fallbacks for
actions the harness has no tool for. Ops that use actions carry the same facts as attributes:

- ``tools``: {action: tool name} for actions bound to a tool;
- ``fallback``: {action: how to do it without a tool} (e.g. aider: describe the command);
- ``drop``: a reason string; dead-step-elim removes ops that carry it (the contract).

Ops that carry no facts (sections, tables) are wrapped in a
``prompt.drop`` op carrying ``drop`` instead.
"""

from skvmc.dialects.cap import ACTIONS
from skvmc.opdef import Dialect, attr, opt

DIALECT = Dialect("prompt", "harness-facing prompt facts: tool bindings and removals")

DIALECT.fact("tools", attr("dict", keys=ACTIONS, values=attr("str"), doc="action -> tool name"))
DIALECT.fact("fallback", attr("dict", keys=ACTIONS, values=attr("str"),
                              doc="action -> how to do it without a tool"))
DIALECT.fact("drop", attr("str", doc="why the op is removed, e.g. 'other-product: Claude.ai'"))
DIALECT.fact("other_product", attr("str", doc="the product an instruction is conditional on "
                                              "(reported, never removed), e.g. 'Claude.ai'"))

TOOLS = DIALECT.op(
    "tools",
    "The harness's tool for each abstract action the skill uses.",
    attributes={
        "harness": attr("str"),
        "bindings": attr("dict", doc="action -> tool name"),
        "fallback": opt("dict", doc="action -> instruction, for actions without a tool"),
        "context_file": opt("str", doc="the file the harness always reads, e.g. AGENTS.md"),
    },
)

DROP = DIALECT.op(
    "drop",
    "Wraps ops that only apply to another product (or harness), marked for removal.",
    attributes={"drop": attr("str", doc="why, e.g. 'other-product: Claude.ai'")},
    regions=1,
)
