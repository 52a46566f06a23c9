"""bind-env: collect what a skill needs from its environment into the `env` dialect.

Reads code blocks (and inline command spans in step text), never needing the cap facts:
- Python imports (``ast``; a regex when the block does not parse) -> pip deps, mapped to their
  distribution (``yaml`` -> ``pyyaml``); stdlib and bundled modules are not deps;
- ``pip install``, ``npm install``/``yarn add``/``pnpm add``, ``npx``, ``require``/``import``
  in JavaScript -> pip / npm deps;
- the program of every command in a shell pipeline -> system deps (builtins excluded);
- URLs and clients of databases/queues and ``localhost:PORT`` -> service deps;
- ``$VAR``, ``os.environ[...]``/``os.getenv``, ``process.env.X`` -> env vars (secret when the
  name says KEY/TOKEN/SECRET/PASSWORD...);
- bundle files (``skill.ref``) -> ``env.path`` bound to ``skill-root``, and their paths in
  shell commands rewritten to it so commands work from any working directory.

The facts go into one ``env.requires`` region after the frontmatter and refs (replacing an
earlier one), deduplicated and sorted; ``BindEnvResult`` gets deps, vars and paths.
"""

from __future__ import annotations

import ast
import re

import attrs

from skvmc.dialects import env, skill
from skvmc.frontend.refs import CONVENTIONAL_DIRS
from skvmc.ir import Operation, map_ops
from skvmc.memo import Bounded, by_text
from skvmc.passes.analysis import shell_words
from skvmc.passes.analysis.pydeps import (
    distribution_for,
    is_stdlib,
    npm_package,
    parse_python,
)
from skvmc.passes.results import BindEnvResult
from skvmc.passmanager import Pass, PassContext, option

# Shell keywords and builtins: part of the shell, never something to install.
SHELL_BUILTINS = frozenset("""
if then else elif fi for while until do done case esac function select in time
cd echo export set unset source . : [ [[ test true false read local return exit eval exec
shift trap wait alias unalias type command builtin declare typeset let pushd popd dirs
umask ulimit hash history jobs fg bg kill printf help break continue shopt getopts pwd
""".split())
# Platform alternatives: a skill that shows `brew install x` and `apt-get install x` needs one
# of them, not all. Each program -> its group (env-setup.sh checks any one of a group).
ALTERNATIVES = {
    **dict.fromkeys(("brew", "apt-get", "apt", "yum", "dnf", "pacman", "apk", "zypper", "port",
                     "choco", "winget", "scoop", "snap"), "os-package-manager"),
    **dict.fromkeys(("conda", "mamba", "micromamba"), "conda"),
    **dict.fromkeys(("python", "python3"), "python"),
    **dict.fromkeys(("pip", "pip3"), "pip"),
}
# Words that run the next word as the command.
PREFIX_COMMANDS = {"sudo", "env", "nohup", "time", "exec", "command", "xargs", "nice", "timeout"}
# Variables every POSIX shell session has; reading them needs no setup.
SHELL_PROVIDED = {"HOME", "PATH", "PWD", "OLDPWD", "USER", "SHELL", "IFS", "RANDOM", "LINENO",
                  "UID", "HOSTNAME", "TMPDIR", "LANG", "TERM", "SKILL_DIR"}
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH", "PRIVATE")

# Service fingerprints: URL schemes and client programs.
SERVICE_SCHEMES = {"postgres": "postgres", "postgresql": "postgres", "redis": "redis",
                   "rediss": "redis", "mongodb": "mongodb", "mongodb+srv": "mongodb",
                   "mysql": "mysql", "amqp": "rabbitmq", "amqps": "rabbitmq"}
SERVICE_CLIENTS = {"psql": "postgres", "pg_dump": "postgres", "redis-cli": "redis",
                   "mongosh": "mongodb", "mongo": "mongodb", "mysql": "mysql"}
SCHEME_RE = re.compile(r"\b(postgres(?:ql)?|rediss?|mongodb(?:\+srv)?|mysql|amqps?)://")
LOCALHOST_RE = re.compile(r"\b(?:localhost|127\.0\.0\.1|0\.0\.0\.0):(\d{2,5})\b")

ENV_PY_RE = re.compile(
    r"""(?:os\.)?(?:environ(?:\.get)?\s*[\[(]|getenv\s*\(|environ\.setdefault\s*\()\s*['"]([A-Za-z_]\w*)['"]""")
ENV_JS_RE = re.compile(r"""process\.env(?:\.([A-Za-z_]\w*)|\[\s*['"]([A-Za-z_]\w*)['"]\s*\])""")
ENV_SH_RE = re.compile(r"(?<!\\)\$(?:\{([A-Za-z_]\w*)[^}]*\}|([A-Za-z_]\w*))")
SH_ASSIGN_RE = re.compile(r"(?:^|[\s;&|(])(?:export\s+|local\s+|readonly\s+)?([A-Za-z_]\w*)=")
SH_LOOPVAR_RE = re.compile(r"\b(?:for|read(?:\s+-\w+)*)\s+([A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)*)")
PY_IMPORT_RE = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w., ]+))", re.M)
JS_IMPORT_RE = re.compile(
    r"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"\n]+)['"]""")
HEREDOC_RE = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
INLINE_CODE_RE = re.compile(r"`([^`\n]+)`")
CMD_START_RE = re.compile(r"^(?:python3?|bash|sh|node|npx|npm|uv|pip3?)\s")


def is_secret(name: str) -> bool:
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS)


def _evidence(op: Operation, snippet: str) -> str:
    snippet = " ".join(snippet.split())
    if len(snippet) > 60:
        snippet = snippet[:57] + "..."
    where = f"{op.loc.file}:{op.loc.line}" if op.loc.line else op.loc.file
    return f"{where}: {snippet}"


@attrs.define
class Facts:
    """What one module needs, merged as it is found (first version / module seen wins)."""

    deps: dict = attrs.field(factory=dict)  # (manager, name) -> {module, version, evidence}
    vars: dict = attrs.field(factory=dict)  # name -> evidence list
    rejected: list = attrs.field(factory=list)  # (spec, loc) of install specs that are no names

    def dep(self, manager: str, name: str, evidence: str, module=None, version=None,
            any_of=None):
        entry = self.deps.setdefault((manager, name), {"module": None, "version": None,
                                                       "any_of": any_of, "evidence": []})
        entry["module"] = entry["module"] or (module if module and module != name else None)
        entry["version"] = entry["version"] or version
        if evidence not in entry["evidence"]:
            entry["evidence"].append(evidence)

    def var(self, name: str, evidence: str):
        ev = self.vars.setdefault(name, [])
        if evidence not in ev:
            ev.append(evidence)


# ---------------------------------------------------------------------------------------------
# Python


@by_text()
def python_imports(body: str) -> list[str]:
    """Top-level absolute imports of a Python block (ast first, regex when it won't parse)."""
    tree = parse_python(body)
    if tree is None:
        out = []
        for m in PY_IMPORT_RE.finditer(body):
            if m.group(1):
                out.append(m.group(1))
            else:
                out.extend(p.split(" as ")[0].strip() for p in m.group(2).split(","))
        return [m for m in out if m and not m.startswith(".")]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.append(node.module)
    return out


def _py_facts(op: Operation, body: str, local: set[str], facts: Facts) -> None:
    for module in python_imports(body):
        top = module.split(".")[0]
        if is_stdlib(module) or top in local:
            continue
        dist = distribution_for(module)
        # keep the import name that matters for the table lookup (google.protobuf, not google)
        shown = module if "." in module and distribution_for(top) != dist else top
        facts.dep("pip", dist, _evidence(op, f"import {module}"), module=shown)
    for m in ENV_PY_RE.finditer(body):
        facts.var(m.group(1), _evidence(op, m.group(0)))
    _service_facts(op, body, facts)


# ---------------------------------------------------------------------------------------------
# JavaScript


def _js_facts(op: Operation, body: str, facts: Facts) -> None:
    for m in JS_IMPORT_RE.finditer(body):
        pkg = npm_package(m.group(1))
        if pkg:
            facts.dep("npm", pkg, _evidence(op, m.group(0)))
    for m in ENV_JS_RE.finditer(body):
        facts.var(m.group(1) or m.group(2), _evidence(op, m.group(0)))
    _service_facts(op, body, facts)


# ---------------------------------------------------------------------------------------------
# Shell


def shell_commands(body: str, lang: str = "bash") -> list[list[str]]:
    """The argv of every simple command of a shell text (see :mod:`shell_words`)."""
    return [list(argv) for argv in _command_argvs(body, lang)]


@by_text()
def _command_argvs(body: str, lang: str) -> list[tuple[str, ...]]:
    return [c.argv for c in shell_words.commands(body, lang)]


def _program(argv: list[str]) -> tuple[str | None, list[str]]:
    """The program a simple command runs (after assignments and sudo/env/... prefixes)."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if re.match(r"^[A-Za-z_]\w*=", word) or word in ("<", ">", ">>", "<<", "2>", "!"):
            i += 1
        elif word in PREFIX_COMMANDS:
            i += 1
            while i < len(argv) and argv[i].startswith("-"):  # sudo -u x / timeout 10
                i += 1
            if word == "timeout" and i < len(argv) and re.match(r"^\d", argv[i]):
                i += 1
        else:
            return word, argv[i + 1:]
    return None, []


def _positional(args: list[str]) -> list[str]:
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-p",
                 "--package", "-i", "--index-url", "--prefix", "--target", "-t"):
            skip = True
            continue
        if a.startswith("-") or a in ("<", ">", ">>"):
            continue
        out.append(a)
    return out


def _split_version(spec: str, npm: bool = False) -> tuple[str, str | None]:
    if npm:
        at = spec.rfind("@")
        if at > 0:
            return spec[:at], spec[at + 1:] or None
        return spec, None
    m = re.match(r"^([A-Za-z0-9][\w.-]*)(\[[^\]]*\])?\s*(.*)$", spec)
    if not m:
        return spec, None
    return m.group(1).lower(), (m.group(3).strip() or None)


def shell_assigned(body: str) -> set[str]:
    """Variables a shell text sets itself (assignments, loop and read variables)."""
    assigned = {m.group(1) for m in SH_ASSIGN_RE.finditer(body)}
    for m in SH_LOOPVAR_RE.finditer(body):
        assigned.update(m.group(1).split())
    return assigned


def _shell_facts(op: Operation, body: str, local: set[str], facts: Facts,
                 assigned: frozenset = frozenset(), lang: str = "bash",
                 provisions: bool = False) -> None:
    """``provisions``: the text is a bundled script, so the packages it installs itself are
    not the environment's to provide (its installer program still is)."""
    functions = shell_words.defined_functions(body)
    for argv in shell_commands(body, lang):
        prog, args = _program(argv)
        if not prog or prog in SHELL_BUILTINS or prog in functions:
            continue
        if "/" in prog or prog.endswith((".sh", ".py", ".js")) or prog in local:
            continue  # a bundled or workdir script, not something to install
        if not shell_words.PROGRAM_WORD.match(prog):
            continue  # output (PASS), a label (Tests:), a placeholder (<cmd>), a variable
        facts.dep("system", prog, _evidence(op, " ".join(argv)),
                  any_of=ALTERNATIVES.get(prog))
        if prog in SERVICE_CLIENTS:
            facts.dep("service", SERVICE_CLIENTS[prog], _evidence(op, " ".join(argv)))
        sub = args[0] if args else ""
        rest = args[1:]
        if re.match(r"^python(\d(\.\d+)?)?$", prog) and sub == "-m" and rest:
            prog, sub, rest = rest[0], rest[1] if len(rest) > 1 else "", rest[2:]
            if (prog not in ("pip", "venv") and not is_stdlib(prog)
                    and prog.split(".")[0] not in local):
                facts.dep("pip", distribution_for(prog), _evidence(op, " ".join(argv)),
                          module=prog)
        if provisions:
            continue
        if prog in ("pip", "pip3", "uv", "pipx") and (sub in ("install", "add") or
                                                       (prog == "uv" and sub == "pip")):
            targets = rest[1:] if prog == "uv" and sub == "pip" else rest
            for spec in _positional(targets):
                if spec.endswith(".txt"):
                    continue
                if not _REGISTRY_SPEC.match(spec):
                    facts.rejected.append((spec, op.loc))
                    continue
                name, version = _split_version(spec)
                facts.dep("pip", name, _evidence(op, " ".join(argv)), version=version)
        elif prog in ("npm", "pnpm", "yarn", "bun") and sub in ("install", "i", "add"):
            if "-g" in rest or "--global" in rest:
                continue  # a global CLI the skill installs itself; its program is the dep
            for spec in _positional(rest):
                if not _NPM_SPEC.match(spec):
                    facts.rejected.append((spec, op.loc))
                    continue
                name, version = _split_version(spec, npm=True)
                if npm_package(name):
                    facts.dep("npm", name, _evidence(op, " ".join(argv)), version=version)
        # npx/pnpx/bunx fetch the package they run on demand: only the runner is a dep.
    assigned = assigned | shell_assigned(body)
    for m in ENV_SH_RE.finditer(body):
        name = m.group(1) or m.group(2)
        if name not in assigned and name not in SHELL_PROVIDED:
            facts.var(name, _evidence(op, m.group(0)))
    _service_facts(op, body, facts)


# What a registry name looks like: no URL, path, ``file:``/``npm:``/``git+`` alias or tarball.
_REGISTRY_SPEC = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9_,.-]+\])?"
                            r"((===|==|>=|<=|~=|!=|>|<)[A-Za-z0-9.*+!-]+)*$")
_NPM_SPEC = re.compile(r"^(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*(@[\w.^~<>=*|-]+)?$")


class _Where:
    """The location of a line of a bundled file, for evidence and diagnostics."""

    def __init__(self, file: str, line: int = 1):
        from skvmc.ir import Location

        self.loc = Location(file, line, 1)


_BUNDLE_LIMIT = 256 * 1024  # bytes read per bundled file


def _bundle_list(skill_path: str, reader=None) -> list[str]:
    """The bundle's first 500 files; ``reader``: the skill's ``BundleReader``, which lists the
    folder once per skill (``ctx.options["bundle"]``)."""
    if reader is not None and reader.skill_dir == skill_path:
        return reader.files(limit=500)
    from skvmc.frontend.refs import list_bundle

    return list_bundle(skill_path, limit=500)


class _Recorded:
    """What the facts of one bundled file are, as the calls that add them to a ``Facts``
    (replayed in order, so merging with what came before is what a fresh read would do)."""

    def __init__(self):
        self.calls: list[tuple] = []
        self.rejected = _Rejected(self.calls)

    def dep(self, *args, **kwargs):
        self.calls.append(("dep", args, kwargs))

    def var(self, *args, **kwargs):
        self.calls.append(("var", args, kwargs))

    def replay(self, facts: Facts) -> None:
        for kind, args, kwargs in self.calls:
            if kind == "rejected":
                facts.rejected.append(args)
            else:
                getattr(facts, kind)(*args, **kwargs)


class _Rejected:
    def __init__(self, calls: list):
        self.calls = calls

    def append(self, item) -> None:
        self.calls.append(("rejected", item, None))


# The facts of a bundled file, by (file identity and version, local module names): every
# target of a skill reads the same bundle, and the facts are a function of the file's text.
_FILE_FACTS: Bounded = Bounded(4096)


def _bundle_facts(skill_path: str, local: set[str], facts: Facts, reader=None) -> None:
    """Dependencies of the bundled scripts themselves: Python imports, shell commands,
    shebang interpreters, ``requirements.txt`` and ``package.json`` dependencies."""
    import os
    import stat

    local_key = frozenset(local)
    for rel in _bundle_list(skill_path, reader):
        path = os.path.join(skill_path, rel)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):  # a link, a folder, a special file
            continue
        key = (path, rel, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size, local_key)
        recorded = _FILE_FACTS.get(key)
        if recorded is None:
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read(_BUNDLE_LIMIT)
            except OSError:
                continue
            recorded = _Recorded()
            _file_facts(rel, text, local, recorded)
            _FILE_FACTS.put(key, recorded)
        recorded.replay(facts)


def _file_facts(rel: str, text: str, local: set[str], facts) -> None:
    """The facts of one bundled file (``rel``: its path in the bundle) into ``facts``."""
    import json

    name = rel.rsplit("/", 1)[-1]
    where = _Where(rel)
    first = text.split("\n", 1)[0]
    shebang = re.match(r"#!\s*(?:/usr/bin/env\s+(?:-S\s+)?)?(?:/\S*/)?([\w.+-]+)", first)
    if shebang and shell_words.PROGRAM_WORD.match(shebang.group(1)):
        facts.dep("system", shebang.group(1), _evidence(where, first),
                  any_of=ALTERNATIVES.get(shebang.group(1)))
    if name.endswith(".py"):
        _py_facts(where, text, local, facts)
    elif name.endswith((".sh", ".bash")) or (shebang and shebang.group(1) in ("bash", "sh")):
        _shell_facts(where, text, local, facts, frozenset(), "bash", provisions=True)
    elif name == "requirements.txt":
        for n, line in enumerate(text.splitlines(), 1):
            spec = line.split("#", 1)[0].strip()
            if spec and not spec.startswith("-"):
                if _REGISTRY_SPEC.match(spec.replace(" ", "")):
                    dist, version = _split_version(spec)
                    facts.dep("pip", dist, _evidence(_Where(rel, n), spec), version=version)
                else:
                    facts.rejected.append((spec, _Where(rel, n).loc))
    elif name == "package.json":
        try:
            data = json.loads(text)
        except ValueError:
            return
        for key in ("dependencies",):
            for pkg, version in (data.get(key) or {}).items():
                if npm_package(pkg) and isinstance(version, str):
                    facts.dep("npm", pkg, _evidence(where, f"{key}: {pkg}"))


def _service_facts(op: Operation, body: str, facts: Facts) -> None:
    for m in SCHEME_RE.finditer(body):
        facts.dep("service", SERVICE_SCHEMES[m.group(1)], _evidence(op, m.group(0)))
    for m in LOCALHOST_RE.finditer(body):
        facts.dep("service", f"localhost:{m.group(1)}", _evidence(op, m.group(0)))


# ---------------------------------------------------------------------------------------------
# Bundle paths


def _path_pattern(paths: list[str]) -> re.Pattern | None:
    if not paths:
        return None
    alts = "|".join(re.escape(p) for p in sorted(paths, key=len, reverse=True))
    # not already part of a longer path or a variable (so a second run changes nothing)
    return re.compile(rf"(?<![\w/.$}}-])(?:\./)?({alts})(?![\w/-])")


def _bind_paths(text: str, pattern: re.Pattern | None, root: str) -> str:
    if pattern is None:
        return text
    return pattern.sub(lambda m: f"{root}/{m.group(1)}", text)


def _bind_inline(text: str, pattern, root: str) -> str:
    """Rewrite bundle paths inside inline command spans (`python scripts/x.py ...`)."""
    if pattern is None:
        return text

    def span(m):
        inner = m.group(1)
        if not CMD_START_RE.match(inner):
            return m.group(0)
        return "`" + _bind_paths(inner, pattern, root) + "`"

    return INLINE_CODE_RE.sub(span, text)


def bind_markdown_paths(text: str, paths, root: str) -> str:
    """``text`` (Markdown) with the bundle ``paths`` named as ``root/path`` where this pass
    binds them in the IR: anywhere in a fenced block, in inline command spans elsewhere. For
    the skill's body read from another folder than the skill's (a harness's context file)."""
    from skvmc.frontend import fence_body_lines

    # only the paths the text names go into the pattern: a bundle may list thousands
    pattern = _path_pattern(sorted(p for p in paths if p in text))
    if pattern is None:
        return text
    return "".join(_bind_paths(line, pattern, root) if in_fence
                   else _bind_inline(line, pattern, root)
                   for line, in_fence in fence_body_lines(text))


def _local_modules(paths: list[str]) -> set[str]:
    # bundle folders (scripts/, lib/ ...) are packages of the skill itself: `python -m scripts.x`
    out = set(CONVENTIONAL_DIRS)
    for p in paths:
        parts = p.split("/")
        name = parts[-1]
        if name.endswith(".py"):
            out.add(name[:-3])
        if len(parts) > 1:
            out.add(parts[0])  # `from scripts.x import y`
    return out


# ---------------------------------------------------------------------------------------------


@attrs.frozen
class BindEnv(Pass):
    name = "bind-env"
    summary = ("Collect pip/npm/system/service deps, env vars, secrets and bundle paths "
               "(env dialect)")

    skill_root: str = option(
        "$SKILL_DIR", "where the installed skill lives; bundle paths in commands are bound to it")

    def apply(self, ctx: PassContext, module: Operation) -> Operation:
        root = self.skill_root.rstrip("/") or "/"
        refs = [op for op in module.body if op.name == "skill.ref"]
        all_paths = sorted({op.attr("path") for op in refs}
                           | {op.attr("actual") for op in refs if op.attr("actual")})
        bound = [op for op in refs if op.attr("exists")]
        bound_paths = sorted({op.attr("path") for op in bound})
        local = _local_modules(all_paths)
        pattern = _path_pattern(bound_paths)
        literal_root = "$" not in root
        facts = Facts()
        # a variable one block sets is not the environment's, even when another block reads it
        assigned = frozenset().union(*(
            shell_assigned(op.attr("body", "")) for op in module.walk()
            if op.name == "skill.code" and skill.fence_kind(op.attr("lang")) == skill.SHELL))

        def visit(op: Operation):
            if op.name == "skill.code":
                lang = op.attr("lang", "").lower()
                kind = skill.fence_kind(lang)
                body = op.attr("body", "")
                if kind == skill.SHELL:
                    _shell_facts(op, body, local, facts, assigned, lang)
                    new = _bind_paths(body, pattern, root)
                elif kind == skill.PYTHON:
                    _py_facts(op, body, local, facts)
                    new = _bind_paths(body, pattern, root) if literal_root else body
                elif kind == skill.JS:
                    _js_facts(op, body, facts)
                    new = _bind_paths(body, pattern, root) if literal_root else body
                else:
                    new = body
                return op.with_attrs(body=new) if new != body else op
            if op.name in ("skill.step", "skill.text", "skill.quote"):
                text = op.attr("text", "")
                for m in INLINE_CODE_RE.finditer(text):
                    if CMD_START_RE.match(m.group(1)):
                        _shell_facts(op, m.group(1), local, facts, assigned)
                new = _bind_inline(text, pattern, root)
                return op.with_attrs(text=new) if new != text else op
            return op

        module = map_ops(module, visit)
        skill_path = ctx.options.get("skill_path")
        if skill_path:
            reader = ctx.options.get("bundle")
            _bundle_facts(skill_path, local | _local_modules(_bundle_list(skill_path, reader)),
                          facts, reader)
        for spec, where in facts.rejected:
            ctx.diags.warning(f"bind-env: {spec!r} is not a registry package name "
                              "(a URL, path or alias): not installed by env-setup.sh", where,
                              code="env")
        env_ops = self._env_ops(facts, bound, root)
        ctx.publish(BindEnvResult(
            deps=[{"manager": m, "name": n,
                   **{k: v for k, v in e.items() if k != "evidence" and v}}
                  for (m, n), e in self._sorted_deps(facts)],
            vars=[{"name": n, "secret": is_secret(n)} for n in sorted(facts.vars)],
            paths={op.attr("path"): f"{root}/{op.attr('path')}"
                   for op in sorted(bound, key=lambda o: o.attr("path"))}))
        body = [op for op in module.body if op.name != "env.requires"]
        if env_ops:
            i = 0
            while i < len(body) and body[i].name in ("skill.frontmatter", "skill.ref",
                                                     "prompt.tools"):
                i += 1
            loc = body[i].loc if i < len(body) else module.loc
            body.insert(i, env.REQUIRES.build(root=root, regions=[env_ops], loc=loc))
        return module.with_ops(body) if tuple(body) != module.body else module

    @staticmethod
    def _sorted_deps(facts: Facts):
        order = {m: i for i, m in enumerate(env.MANAGERS)}
        return sorted(facts.deps.items(), key=lambda kv: (order[kv[0][0]], kv[0][1].lower()))

    def _env_ops(self, facts: Facts, bound: list[Operation], root: str) -> list[Operation]:
        ops = []
        for (manager, name), e in self._sorted_deps(facts):
            ops.append(env.DEP.build(manager=manager, name=name, module=e["module"],
                                     any_of=e.get("any_of"),
                                     version=e["version"], evidence=tuple(e["evidence"])))
        for name in sorted(facts.vars):
            ops.append(env.VAR.build(name=name, secret=is_secret(name),
                                     evidence=tuple(facts.vars[name])))
        seen = set()
        for ref in sorted(bound, key=lambda o: o.attr("path")):
            path = ref.attr("path")
            if path in seen:
                continue
            seen.add(path)
            ops.append(env.PATH.build(operands=ref.results, name=path, value=f"{root}/{path}",
                                      loc=ref.loc))
        return ops
