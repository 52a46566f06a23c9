"""The `skill` dialect: the source level, close enough to the Markdown to re-emit it.

A module holds one ``skill.frontmatter`` then the body. Headings open ``skill.section``
regions (nested by level); list items are ``skill.step`` ops whose region holds what is nested
under them. Bundle files a step or paragraph mentions become ``skill.ref`` values that the
mentioning op takes as operands, which is the first edge of the dataflow graph.
"""

from skvmc.opdef import CarriesFacts, Dialect, attr, opt

DIALECT = Dialect("skill", "skill source: frontmatter, sections, steps, text, code, tables")

VALUE = DIALECT.type("value")  # what a step or code block produces (an effect or an answer)
FILE = DIALECT.type("file")  # a bundle file (or a path a step names)

CALLOUT_KINDS = ("note", "tip", "important", "warning", "caution")

# -- fence languages: the one table every pass, backend, the VM and the JIT read -----------------
# What a fence's language says it holds. A "session" is a shell transcript: the commands are
# the lines after a "$ " prompt, the lines between them are output.
SHELL, PYTHON, JS, POWERSHELL, STRUCTURED = "shell", "python", "js", "powershell", "structured"
EXEC_KINDS = frozenset({SHELL, PYTHON, JS, POWERSHELL})  # code an agent can run
SESSION_LANGS = frozenset({"console", "shell-session", "terminal"})
FENCE_LANGS: dict[str, str] = {
    **dict.fromkeys(("bash", "sh", "shell", "zsh", *sorted(SESSION_LANGS)), SHELL),
    **dict.fromkeys(("python", "py", "python3"), PYTHON),
    **dict.fromkeys(("js", "javascript", "ts", "typescript", "jsx", "tsx", "mjs", "cjs", "node"),
                    JS),
    **dict.fromkeys(("powershell", "ps1"), POWERSHELL),
    **dict.fromkeys(("json", "yaml", "yml"), STRUCTURED),
}


def fence_kind(lang: str | None) -> str | None:
    """The kind of a fence language (case-insensitive), None for one the table does not know."""
    return FENCE_LANGS.get((lang or "").lower())


def is_session(lang: str | None) -> bool:
    return (lang or "").lower() in SESSION_LANGS


def langs_of(*kinds: str) -> frozenset[str]:
    """Every fence language of the given kinds (for code that needs the set itself)."""
    return frozenset(lang for lang, kind in FENCE_LANGS.items() if kind in kinds)



def skill_name(module) -> str:
    """The frontmatter's name (else the folder name, else "skill")."""
    for op in module.body:
        if op.name == "skill.frontmatter":
            name = op.attr("fields", {}).get("name")
            if isinstance(name, str) and name:
                return name
    return module.attr("skill_dir") or "skill"

FRONTMATTER = DIALECT.op(
    "frontmatter",
    "The YAML frontmatter: parsed fields in source order plus the raw text (the name and the "
    "description are fields like any other, stored once).",
    attributes={
        "fields": attr("dict", doc="every key, values as parsed YAML"),
        "raw": attr("str", doc="the YAML text between the --- lines, verbatim"),
    },
)

SECTION = DIALECT.op(
    "section",
    "A heading and everything under it up to the next heading of the same or higher level.",
    attributes={"level": attr("int"), "title": attr("str")},
    regions=1,
)

TEXT = DIALECT.op(
    "text",
    "A paragraph (lines joined with newlines, inline Markdown kept).",
    variadic_operands=FILE,
    attributes={"text": attr("str"), "links": opt("array")},
    traits=(CarriesFacts,),  # analyses attach facts (requires, actions, ...) as attributes
)

STEP = DIALECT.op(
    "step",
    "A list item: an instruction. Ordered items carry their number; nested content is the region.",
    variadic_operands=FILE,
    results=(VALUE,),
    attributes={
        "text": attr("str"),
        "ordered": attr("bool"),
        "marker": attr("str", doc="the list marker as written: '1.', '2)', '-', '*', '+'"),
        "number": opt("int"),
        "check": opt("str", choices=("unchecked", "checked")),
        "links": opt("array"),
    },
    regions=1,
    traits=(CarriesFacts,),
)

CODE = DIALECT.op(
    "code",
    "A fenced code block.",
    variadic_operands=FILE,
    results=(VALUE,),
    attributes={
        "lang": attr("str", doc="the first word of the info string ('' when untagged)"),
        "info": opt("str", doc="the rest of the info string"),
        "body": attr("str"),
        "fence": attr("str", doc="the opening fence as written, e.g. ``` or ~~~~"),
    },
    traits=(CarriesFacts,),
)

TABLE = DIALECT.op(
    "table",
    "A GitHub pipe table.",
    attributes={"header": attr("array"), "align": attr("array"), "rows": attr("array")},
)

QUOTE = DIALECT.op(
    "quote",
    "A blockquote; GitHub callouts (> [!NOTE]) set kind.",
    variadic_operands=FILE,
    attributes={"text": attr("str"), "kind": opt("str", choices=CALLOUT_KINDS),
                "links": opt("array")},
    traits=(CarriesFacts,),
)

RULE = DIALECT.op("rule", "A thematic break (---).")

HTML = DIALECT.op("html", "A raw HTML block or comment.", attributes={"text": attr("str")})

REF = DIALECT.op(
    "ref",
    "A bundle file the skill mentions; exists says whether the folder has it.",
    results=(FILE,),
    attributes={
        "path": attr("str", doc="as written in the skill"),
        "exists": attr("bool"),
        "actual": opt("str", doc="the real file when only the letter case differs"),
    },
)
