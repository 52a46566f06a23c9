"""Dataflow facts shared by extract-concurrency and dead-step-elim (and the backends).

An op's :class:`Effects` come from the facts contract of the ``cap`` dialect when
``infer-capabilities`` ran (``reads`` / ``writes`` / ``actions`` attributes), and are derived
here from the step text and code bodies when it did not. Derivation is deliberately
conservative: an instruction with no file it reads or writes is *opaque* (ordered against
everything), and wording such as "then", "using the result" or "the output" pins an op after
its predecessors.

:func:`dependences` finds, for a list of sibling ops, the orderings that must be kept (RAW,
WAR, WAW, opaque, text order); the dag backend renders DOT/Mermaid from them, and
:func:`build_graph` makes a ``networkx.DiGraph`` of them.
"""

from __future__ import annotations

import fnmatch
import functools
import re

import attrs
import networkx as nx

from skvmc.dialects import skill
from skvmc.ir import Operation
from skvmc.memo import Bounded, ByIdentity

# Ops that carry instructions; everything else (frontmatter, refs, tables, rules, html, flow
# wrappers from an earlier run) is "inert" for scheduling and acts as a barrier.
INSTRUCTION_OPS = ("skill.step", "skill.code", "skill.section", "skill.text", "skill.quote")

_WRITE_ACTIONS = {"write", "edit", "exec"}
_READ_ACTIONS = {"read", "list", "search", "fetch"}

# "then", "after that", "using the result", "the output" ... : depends on what came before.
_SEQUENTIAL = re.compile(
    r"\b(then|after (?:that|this|which)|afterwards|next|finally|once (?:done|finished|complete)"
    r"|using (?:the|this|that|these|those) (?:result|results|output|outputs|data|values?|file)"
    r"|(?:the|this|that) (?:result|results|output|outputs|previous|above)"
    r"|from (?:the )?(?:previous|last|above|prior) step|step \d+|previous(?:ly)?|earlier"
    r"|above|based on|what you (?:found|learned|collected|gathered)|findings|with (?:the|these|those) (?:result|results|findings))\b", re.I)
_WRITE_VERB = re.compile(
    r"\b(write|writes|save|saves|store|create|creates|generate|export|produce|output|emit"
    r"|append|update|overwrite|record|dump|put|combine|merge|render|build|compile|convert)\b", re.I)
_EXEC_VERB = re.compile(r"\b(run|execute|install|invoke|launch|start|call|deploy|commit|push)\b",
                        re.I)
_OUTPUT_VERB = re.compile(
    r"\b(report|print|tell|respond|reply|return|answer|show|present|display|summari[sz]e"
    r"|explain|list|ask the user|send)\b", re.I)
_BACKTICK = re.compile(r"`([^`\n]+)`")
_BARE_PATH = re.compile(r"(?<![\w/.`])((?:[\w.-]+/)+[\w.*-]*|[\w*-]+\.[A-Za-z][\w]{0,7})(?![\w/`])")
# Bare words count as paths only with a common file extension ("Claude.ai" is no file).
_FILE_EXTS = set("md txt json jsonl yaml yml csv tsv py js ts sh log html xml pdf docx xlsx pptx "
                 "png jpg jpeg svg toml ini cfg sql ipynb zip tar gz env parquet".split())
_URLISH = re.compile(r"^(?:https?:|www\.|e\.g\.|i\.e\.|etc\.|vs\.)", re.I)

# Code-level writes: shell redirection / tee / python open(..., "w") / df.to_csv(...) ...
_CODE_WRITES = [
    re.compile(r">>?\s*([^\s;|&<>]+)"),
    re.compile(r"\btee\s+(?:-a\s+)?([^\s;|&]+)"),
    re.compile(r"open\(\s*['\"]([^'\"]+)['\"]\s*,\s*['\"][wax]"),
    re.compile(r"\.(?:to_csv|to_json|to_excel|to_parquet|savefig|save|write_text|write_bytes)"
               r"\(\s*['\"]([^'\"]+)['\"]"),
    re.compile(r"\b(?:mkdir(?:\s+-p)?|touch|cp\s+\S+|mv\s+\S+)\s+([^\s;|&]+)"),
]
_CODE_READS = [
    re.compile(r"open\(\s*['\"]([^'\"]+)['\"]\s*(?:\)|,\s*['\"]r)"),
    re.compile(r"read_(?:csv|json|excel|parquet|text)\(\s*['\"]([^'\"]+)['\"]"),
    re.compile(r"<\s*([^\s;|&<>]+)"),
]
_CODE_TOKEN_PATH = re.compile(r"(?<![\w>])([\w./*-]*(?:\*|/)[\w./*-]*|[\w-]+\.[A-Za-z]{1,6})(?![\w(])")


_EMPTY: frozenset = frozenset()


def _one_empty(paths: frozenset) -> frozenset:
    """One shared empty set (each empty frozenset costs 216 bytes, and most ops' effects,
    memoized per op, read or write nothing)."""
    return paths if paths else _EMPTY


@attrs.frozen
class Effects:
    """What one op (with everything nested in it) consumes and produces."""

    reads: frozenset = attrs.field(default=frozenset(), converter=_one_empty)
    writes: frozenset = attrs.field(default=frozenset(), converter=_one_empty)
    execs: bool = False  # runs a command or code
    outputs: bool = False  # produces an answer / output for the user
    after_previous: bool = False  # wording ties it to what came before
    from_facts: bool = False  # came from infer-capabilities attributes

    @property
    def opaque(self) -> bool:
        """Unknown effects: no file it reads or writes is known, so keep it in order."""
        return not self.reads and not self.writes

    @property
    def has_effects(self) -> bool:
        return bool(self.writes) or self.execs or self.outputs

    def __or__(self, other: Effects) -> Effects:
        return Effects(self.reads | other.reads, self.writes | other.writes,
                       self.execs or other.execs, self.outputs or other.outputs,
                       self.after_previous or other.after_previous,
                       self.from_facts or other.from_facts)


# compiled once (re.sub / fullmatch / split with a pattern string look it up on every call)
_PLACEHOLDER = re.compile(r"<[^<>/]*>|\{[^{}/]*\}")
_DOT_EXT = re.compile(r"\.[A-Za-z][\w]{0,7}")
_NAME_EXT = re.compile(r"[\w*.-]+\.[A-Za-z][\w]{0,7}")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")


def normalize_path(path: str) -> str:
    path = path.strip().strip("'\"").rstrip(".,:;)")
    path = _PLACEHOLDER.sub("*", path)  # out/<name>.json -> out/*.json
    while path.startswith("./"):
        path = path[2:]
    if path.startswith(".") and "/" not in path and path.count(".") == 1 and len(path) > 1:
        return "*" + path  # "`.log` files" -> *.log
    return path


def _looks_like_path(token: str) -> bool:
    token = token.strip()
    if not token or " " in token or _URLISH.match(token) or len(token) > 120:
        return False
    if token.startswith("-") or "=" in token or "(" in token or "{" in token:
        return False
    if "/" in token:
        return True
    if _DOT_EXT.fullmatch(token):
        return True
    return bool(_NAME_EXT.fullmatch(token)) and not token[0].isdigit()


def paths_in_text(text: str) -> list[str]:
    """Paths a sentence mentions (in backticks, or bare like data/ or report.md)."""
    found = [t for t in _BACKTICK.findall(text) if _looks_like_path(t)]
    stripped = _BACKTICK.sub(" ", text)
    found += [t for t in _BARE_PATH.findall(stripped) if _looks_like_path(t)
              and ("/" in t or t.rsplit(".", 1)[-1].lower() in _FILE_EXTS)]
    out = []
    for t in found:
        p = normalize_path(t)
        if p and p not in out:
            out.append(p)
    return out


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


_WRITE_SLOT = re.compile(
    r"(?:\b(?:to|into|as)|\b(?:write|writes|save|saves|create|creates|generate|export|produce"
    r"|overwrite|update|render|build|compile|convert|dump|record|store))"
    r"\s+(?:(?:a|an|the|new|file|files|it|them|result|results|output|report)\s+)*`?$", re.I)


@functools.lru_cache(maxsize=8192)  # pure in its text; nested graphs ask for the same text often
def text_effects(text: str) -> Effects:
    """Effects from instruction wording: a path in a write slot ("write X", "save it to X",
    "into X") is written when the sentence has a write verb; every other path is read."""
    reads, writes = set(), set()
    for sentence in _sentences(text):
        paths = paths_in_text(sentence)
        if not paths:
            continue
        has_verb = bool(_WRITE_VERB.search(sentence))
        for p in paths:
            raw = p.split("*")[0] or p[1:]
            where = sentence.find(raw)
            before = sentence[max(0, where - 60):where] if where >= 0 else ""
            (writes if has_verb and _WRITE_SLOT.search(before) else reads).add(p)
    return Effects(
        reads=frozenset(reads - writes), writes=frozenset(writes),
        execs=bool(_EXEC_VERB.search(text)),
        outputs=bool(_OUTPUT_VERB.search(text)) or bool(writes),
        after_previous=bool(_SEQUENTIAL.search(text)),
    )


def code_effects(op: Operation) -> Effects:
    body = op.attr("body", "")
    if skill.fence_kind(op.attr("lang")) not in skill.EXEC_KINDS:
        return Effects()  # an example / template (json, yaml, md): no effect by itself
    writes = {normalize_path(m) for pat in _CODE_WRITES for m in pat.findall(body)}
    writes = {w for w in writes if w and not w.startswith("&") and w != "/dev/null"}
    reads = {normalize_path(m) for pat in _CODE_READS for m in pat.findall(body)}
    for token in _CODE_TOKEN_PATH.findall(body):
        p = normalize_path(token)
        if p and p not in writes and _looks_like_path(p):
            reads.add(p)
    return Effects(reads=frozenset(reads - writes), writes=frozenset(writes), execs=True,
                   outputs=bool(writes))


def fact_effects(op: Operation) -> Effects | None:
    """Effects from the facts contract (infer-capabilities), or None when absent."""
    if not any(k in op.attributes for k in ("reads", "writes", "actions")):
        return None
    reads = {normalize_path(p) for p in op.attr("reads", ())}
    writes = {normalize_path(p) for p in op.attr("writes", ())}
    execs = outputs = False
    for action in op.attr("actions", ()):
        kind, target = action.get("kind"), action.get("target") or ""
        if kind in _WRITE_ACTIONS:
            execs |= kind == "exec"
            if kind != "exec" and target:
                writes.add(normalize_path(target))
        elif kind in _READ_ACTIONS and target and _looks_like_path(target):
            reads.add(normalize_path(target))
        elif kind == "ask-model":
            outputs = True
    return Effects(frozenset(reads), frozenset(writes), execs, outputs or bool(writes),
                   from_facts=True)


_OWN_KEYS = ("reads", "writes", "actions", "text", "body", "lang")
_OWN: Bounded = Bounded(16384)  # what own_effects reads of an op -> its effects


def own_effects(op: Operation) -> Effects:
    """The effects of ``op`` alone (not its nested ops). Memoized by what it reads of the op
    (its name and the attributes above): a pass that rebuilds an op (another target's tools,
    a requirement's status) rarely changes those, and every target asks again."""
    attributes = op.attributes
    key = (op.name, *(attributes.get(k, _ABSENT) for k in _OWN_KEYS))
    hit = _OWN.get(key)
    return hit if hit is not None else _OWN.put(key, _own_effects(op))


_ABSENT = object()


def _own_effects(op: Operation) -> Effects:
    facts = fact_effects(op)
    text = op.attr("text", "") if op.name != "skill.section" else ""
    derived = code_effects(op) if op.name == "skill.code" else text_effects(text)
    if facts is None:
        return derived
    # Facts are authoritative for files; text order words still apply.
    return attrs.evolve(facts, after_previous=derived.after_previous)


def _effects(op: Operation) -> Effects:
    total = own_effects(op)
    for region in op.regions:
        for inner in region.ops:
            if inner.name in INSTRUCTION_OPS or inner.dialect == "flow":
                total = total | attrs.evolve(effects(inner), after_previous=False)
    return total


effects = ByIdentity(_effects)
effects.__doc__ = "The effects of ``op`` and everything nested in it (memoized per op)."


@functools.lru_cache(maxsize=65536)
def _is_pattern(path: str) -> bool:
    """A path that can match another one without being equal: a glob or a folder."""
    return path.endswith("/") or "*" in path or "?" in path or "[" in path


def _overlap(a: frozenset, b: frozenset) -> bool:
    if a & b:
        return True
    for x in a:
        px = _is_pattern(x)
        for y in b:
            if not (px or _is_pattern(y)):
                continue  # plain paths overlap only when equal (checked above)
            if fnmatch.fnmatchcase(x, y) or fnmatch.fnmatchcase(y, x):
                return True
            # a directory covers what is under it: out/ ~ out/a.json
            if (x.endswith("/") and y.startswith(x)) or (y.endswith("/") and x.startswith(y)):
                return True
    return False


def dependence(a: Effects, b: Effects) -> str | None:
    """Why ``b`` (later) must stay after ``a`` (earlier), or None when they commute."""
    if a.opaque or b.opaque:
        return "opaque"
    if not b.reads:
        return "input"  # b names no input, so it may build on whatever came before
    if not a.writes and _overlap(a.reads, b.reads):
        return "context"  # a's result lives in the conversation; b reads the same files
    if _overlap(a.writes, b.reads):
        return "raw"
    if _overlap(a.writes, b.writes):
        return "waw"
    if _overlap(a.reads, b.writes):
        return "war"
    return None


def is_schedulable(op: Operation) -> bool:
    """Ops extract-concurrency may reorder; a flow.parallel is a barrier, so reruns are no-ops."""
    return op.name in ("skill.step", "skill.code", "skill.section", "flow.foreach")


# Regions with more sibling ops than this are not analysed: they are kept in document order
# (a chain), which is always safe. The analysis keeps a reachability bitset per node.
MAX_GRAPH_NODES = 5000
# Pairwise dependence checks per graph; past this the rest of the region is kept in order
# (edges with reason "limit"), so no input makes the analysis quadratic in time.
MAX_PAIR_CHECKS = 100_000


def _reason(a_sched: bool, b_sched: bool, ea: Effects, eb: Effects) -> str | None:
    if not a_sched or not b_sched:
        return "barrier"
    if eb.after_previous:
        return "order"
    return dependence(ea, eb)


@attrs.frozen
class Dependences:
    """:func:`dependences` of sibling ops: ``edges`` (a, b, reason) in the order they were
    found (b ascending, then a descending); ``ancestors`` None for a chain (``limited``)."""

    ops: list
    effects: list
    edges: list
    ancestors: list | None
    limited: bool

    def sorted_edges(self) -> list:
        """By (a, b): the order a networkx graph built from ``edges`` iterates them in."""
        return sorted(self.edges, key=lambda e: (e[0], e[1]))


def dependences(region_ops) -> Dependences:
    """The dependence edges over sibling ops, node i being ``region_ops[i]``, as plain data:
    what :func:`build_graph` puts into a ``networkx.DiGraph`` and the dag backend renders
    directly (a graph's per-node and per-edge dicts cost ~1 KB a node, ~50 MB for a 1 MB
    skill's 52,000 steps, and live until the cyclic collector runs: networkx graphs are
    cyclic through their cached views).

    Edge a->b (a before b) carries a reason: raw / war / waw (file dependences), opaque
    (unknown effects), context (a only read files b reads too, so b may build on a's
    findings), input (b names no file it reads, so it may use a's result), order (wording
    like "then"), barrier (a non-instruction op, e.g. a paragraph or a flow.parallel).
    Operands (``skill.ref`` values) are shared read-only inputs and add no edge.

    The edges are transitively reduced as they are found: an ordering already implied by a
    path is not added (so there are O(n) edges, not O(n^2), and rendering needs no reduction
    pass). ``ancestors[j]`` is the bitset of the nodes that must run before node j.
    Candidate predecessors come from indexes of the paths each node reads and writes, so ops
    that cannot conflict are never compared pairwise unless one names a glob or a folder.
    Past MAX_GRAPH_NODES ops or MAX_PAIR_CHECKS comparisons the rest is kept in order.
    """
    ops = list(region_ops)
    effs = [effects(op) for op in ops]
    if len(ops) > MAX_GRAPH_NODES:  # a chain orders everything
        return Dependences(ops, effs, [(i - 1, i, "order") for i in range(1, len(ops))],
                           None, True)
    sched = [is_schedulable(op) for op in ops]
    edges: list[tuple[int, int, str]] = []
    anc: list[int] = []
    always = 0  # nodes every later node depends on: barriers, opaque, globs/folders
    # path -> bitset of the nodes that write it / read it / read it and write nothing: the
    # only plain-path nodes a later node can depend on (raw, waw, war, context).
    writers: dict[str, int] = {}
    readers: dict[str, int] = {}
    pure_readers: dict[str, int] = {}
    checks = 0
    for j, eb in enumerate(effs):
        every = (1 << j) - 1
        patterned = any(_is_pattern(p) for p in eb.reads | eb.writes)
        if checks > MAX_PAIR_CHECKS and j:
            edges.append((j - 1, j, "limit"))
            anc.append(every)
            continue
        if not sched[j] or eb.after_previous or eb.opaque or not eb.reads or patterned:
            cand = every
        else:
            cand = always
            for p in eb.reads:
                cand |= writers.get(p, 0) | pure_readers.get(p, 0)
            for p in eb.writes:
                cand |= writers.get(p, 0) | readers.get(p, 0)
        reach = 0
        while cand:
            i = cand.bit_length() - 1
            cand &= ~(1 << i)
            checks += 1
            reason = _reason(sched[i], sched[j], effs[i], eb)
            if reason:
                edges.append((i, j, reason))
                reach |= anc[i] | (1 << i)
                cand &= ~reach
        anc.append(reach)
        bit = 1 << j
        if not sched[j] or eb.opaque or patterned:
            always |= bit
        for p in eb.writes:
            writers[p] = writers.get(p, 0) | bit
        for p in eb.reads:
            readers[p] = readers.get(p, 0) | bit
            if not eb.writes:
                pure_readers[p] = pure_readers.get(p, 0) | bit
    return Dependences(ops, effs, edges, anc, False)


def build_graph(region_ops) -> nx.DiGraph:
    """:func:`dependences` as a reduced ``networkx.DiGraph``: node i has ``op``, ``effects``,
    ``weight`` (sequential steps inside) and ``label``, each edge its ``reason``;
    ``g.graph["ancestors"]`` as in :class:`Dependences` (None for a chain: ``limited``)."""
    d = dependences(region_ops)
    g = nx.DiGraph(reduced=True)
    for i, op in enumerate(d.ops):
        g.add_node(i, op=op, effects=d.effects[i], weight=step_weight(op), label=_label(op))
    for a, b, reason in d.edges:
        g.add_edge(a, b, reason=reason)
    g.graph["ancestors"] = d.ancestors
    if d.limited:
        g.graph["limited"] = True
    return g


def precedes_any(g: nx.DiGraph, nodes: int, j: int) -> bool:
    """Whether some node of the bitset ``nodes`` must run before node j (a path to j)."""
    anc = g.graph.get("ancestors")
    if anc is None:  # a graph over MAX_GRAPH_NODES is a chain: every earlier node precedes
        return bool(nodes & ((1 << j) - 1))
    return bool(anc[j] & nodes)


def _label(op: Operation) -> str:
    if op.dialect == "flow" and op.body:
        return _label(op.body[0])
    text = op.attr("text") or op.attr("title") or op.attr("lang") or op.name
    return text if len(text) <= 40 else text[:37] + "..."


def _step_weight(op: Operation) -> int:
    """How many sequential steps ``op`` stands for (its own critical path)."""
    if op.name == "skill.code":
        return 1
    if op.name == "flow.parallel":
        return max((critical_path(b.body) for b in op.body), default=0)
    if op.name in ("skill.step", "skill.section", "flow.foreach", "flow.seq", "flow.branch"):
        inner = critical_path(op.body) if op.regions else 0
        return max(1, inner) if op.name == "skill.step" else inner
    return 0


step_weight = ByIdentity(_step_weight)
step_weight.__doc__ = "How many sequential steps ``op`` stands for (memoized per op)."


def critical_path(region_ops) -> int:
    """The length, in steps, of the schedule the IR states: siblings run in order, the
    branches of a ``flow.parallel`` side by side. Only explicit regions shorten it: two ops
    the graph finds no edge between are still in order until a pass proves them independent."""
    return sum(step_weight(op) for op in region_ops)


def work(op: Operation) -> int:
    """How many steps ``op`` holds in total, ignoring any parallelism."""
    if op.name == "skill.code":
        return 1
    inner = sum(work(o) for region in op.regions for o in region.ops)
    if op.name == "skill.step":
        return max(1, inner)
    return inner


def sequential_length(region_ops) -> int:
    """The length of the region run one step at a time (compare with critical_path)."""
    return sum(work(op) for op in region_ops)
