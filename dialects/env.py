"""The `env` dialect: what a skill needs from the machine it runs on.

``bind-env`` collects these facts from code blocks and commands into one ``env.requires``
region at the top of the module (after the frontmatter and bundle refs), so the `env` backend
can emit an idempotent check-then-install script and the prompt backend can state them:

- ``env.dep``: a package or program (pip / npm / system binary / running service);
- ``env.var``: an environment variable the skill reads; ``secret`` when it holds a credential;
- ``env.path``: a bundle file bound to the installed skill location (``$SKILL_DIR/...``).

``evidence`` lists where each fact came from as ``file:line: snippet`` strings.

Facts on instructions (declared here, checked by the verifier): ``reads`` / ``writes``, the
workdir-relative paths an instruction consumes / produces (the dataflow edges).
"""

from skvmc.dialects.skill import FILE
from skvmc.opdef import Dialect, array_of, attr, opt

DIALECT = Dialect("env", "environment: dependencies, variables, secrets and bundle paths")

MANAGERS = ("pip", "npm", "system", "service")

DIALECT.fact("reads", array_of(attr("str"), doc="paths the instruction consumes"))
DIALECT.fact("writes", array_of(attr("str"), doc="paths the instruction produces"))

REQUIRES = DIALECT.op(
    "requires",
    "Everything the skill needs from its environment; `root` is where bundle paths point.",
    attributes={"root": attr("str", doc="the skill's install location, e.g. $SKILL_DIR")},
    regions=1,
)

DEP = DIALECT.op(
    "dep",
    "A dependency: a pip/npm package, a system binary or a service the skill talks to.",
    attributes={
        "manager": attr("str", choices=MANAGERS),
        "name": attr("str", doc="what to install (distribution / package / binary / service)"),
        "module": opt("str", doc="the import name when it differs from the distribution"),
        "version": opt("str", doc="a version specifier as written, e.g. '>=2.0' or '==1.2'"),
        "any_of": opt("str", doc="alternatives group: any one dep of the group satisfies it"),
        "evidence": attr("array"),
    },
)

VAR = DIALECT.op(
    "var",
    "An environment variable the skill reads; secret ones must never be printed or logged.",
    attributes={"name": attr("str"), "secret": attr("bool"), "evidence": attr("array")},
)

PATH = DIALECT.op(
    "path",
    "A bundle file bound to the installed skill location; the operand is its skill.ref.",
    variadic_operands=FILE,
    attributes={
        "name": attr("str", doc="the path as the skill writes it, relative to the skill folder"),
        "value": attr("str", doc="the bound path, e.g. $SKILL_DIR/scripts/x.py"),
    },
)
