"""lower-capabilities: dialect conversion of requirements against a target's capability profile.

The ConversionTarget is the profile of ``target`` (``effective_profile(parse_target(t))``): a
requirement (primitive, level) is LEGAL when ``profile.allows(primitive, level)``. An unknown
level (a primitive the profile does not rate) counts as L0, as documented in
``skvmc.targets.profile``: a wrongly assumed capability breaks the skill on the target, while
a wrongly assumed absence only adds compensation.

Illegal requirements go to the patterns in ``capability_patterns.PATTERNS`` that legalize
their primitive, in list order; a rewrite is accepted when everything it adds is legal. The
requirement is then marked ``status = "lowered"`` with ``by`` naming the pattern. What no
pattern legalizes is a located diagnostic naming primitive, needed and available level;
``mode=partial`` warns and leaves a ``cap.gap`` after the op, ``mode=full`` is an error.
Requirements already lowered or gapped (a second run) are left alone, so the pass is idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from skvmc.diagnostics import CompileError, Diagnostic, TargetLookupError
from skvmc.dialects import cap
from skvmc.ir import Location, Operation, fresh_namer
from skvmc.passes.capability_patterns import PATTERNS, CapPattern, Site, patterns_for
from skvmc.passes.results import LowerCapabilitiesResult
from skvmc.passmanager import Pass, PassContext, option
from skvmc.rewrite import Pattern, PatternSet, Rewrite, legalize, walk_patterns

MODES = ("partial", "full")


def _has(profile, primitive: str) -> int | None:
    try:
        return profile.level(primitive)
    except KeyError:
        return None


def _level_text(level: int | None) -> str:
    return "an unknown level (counted as L0)" if level is None else f"L{level}"


@attrs.define
class _Lowerer:
    profile: object
    target: str
    mode: str
    ctx: PassContext
    new_name: object
    patterns: tuple[CapPattern, ...] = PATTERNS
    stats: dict = attrs.field(factory=lambda: {"requirements": 0, "legal": 0, "lowered": {},
                                               "gaps": []})

    # -- one op ---------------------------------------------------------------------------
    def lower_op(self, op: Operation, next_op: Operation | None):
        """(ops before, the op, ops after, split reason or None)."""
        reqs = [dict(r) for r in op.attr("requires", ())]
        if not reqs:
            return [], op, [], None
        before, after, split = [], [], None
        applied: set[str] = set()
        out: list[dict] = []
        for r in reqs:
            if r.get("status") in ("lowered", "gap"):
                out.append(r)
                continue
            self.stats["requirements"] += 1
            if self.profile.allows(r["primitive"], r["level"]):
                out.append({**r, "status": "legal"})
                self.stats["legal"] += 1
                continue
            candidates = patterns_for(r["primitive"])
            # a pattern already applied to this op covers the requirement from its place on
            covered = next((k for k, p in enumerate(candidates) if p.name in applied), None)
            got = legalize(Site(op, next_op, self.profile, self.new_name), r,
                           candidates[:covered], self.profile.allows, self._has_text, "cap.split")
            if isinstance(got, tuple):
                pattern, result = got
                applied.add(pattern.name)
                op = result.op
                before += result.before
                after += result.after
                split = split or result.split
                out.append({**r, "status": "lowered", "by": pattern.name})
                for p, lvl, why in result.added:
                    out.append({"primitive": p, "level": lvl, "evidence": [f"{why} -> {p} L{lvl}"],
                                "status": "legal", "by": pattern.name})
                self.stats["lowered"][pattern.name] = self.stats["lowered"].get(pattern.name, 0) + 1
            elif covered is not None:
                out.append({**r, "status": "lowered", "by": candidates[covered].name})
            else:
                out.append({**r, "status": "gap"})
                after.append(self.gap(op, r, got))
        return before, cap.with_requirements(op, out), after, split

    def _has_text(self, primitive: str, level: int) -> str:
        return f"target has {_level_text(_has(self.profile, primitive))}"

    def gap(self, op: Operation, r: dict, tried: list[str]) -> Operation:
        has = _has(self.profile, r["primitive"])
        where = op.name.split(".", 1)[1]
        message = (f"{where} needs {r['primitive']} L{r['level']} but target '{self.target}' has "
                   f"{_level_text(has)}; no pattern legalizes it")
        if tried:
            message += " (" + "; ".join(tried) + ")"
        notes = tuple(Diagnostic("note", f"evidence: {e}", None)
                      for e in r.get("evidence", ()))
        emit = self.ctx.diags.error if self.mode == "full" else self.ctx.diags.warning
        emit(message, op.loc if op.loc.line else None, code="capability-gap", notes=notes)
        self.stats["gaps"].append(f"{op.loc.file}:{op.loc.line}: {r['primitive']} "
                                  f"L{r['level']} (has {'?' if has is None else has})")
        return cap.GAP.build(primitive=r["primitive"], needed=r["level"], has=has, loc=op.loc)

    # -- the site pattern ----------------------------------------------------------------
    def pattern(self) -> Pattern:
        """Lower each op's requirements (its nested ops first); a split wraps the ordered run
        that starts at the op in one cap.split, each of its steps lowered alone."""

        def run(site) -> Rewrite | None:
            before, op, after, split = self.lower_op(site.op, site.next_op)
            if split is None:
                return None if op is site.op else Rewrite((op,), tuple(before), tuple(after))
            ops, j, members = site.ops, site.index + 1, [*before, op, *after]
            while j < len(ops) and ops[j].name == "skill.step" and ops[j].attr("ordered"):
                b, o, a, _ = self.lower_op(site.descend(ops[j]),
                                           ops[j + 1] if j + 1 < len(ops) else None)
                members += b + [o] + a
                j += 1
            wrapped = cap.SPLIT.build(reason=split, regions=(tuple(members),), loc=site.op.loc)
            return Rewrite((wrapped,), consumed=j - site.index)

        creates = {"cap.gap", "cap.split"}.union(*(p.creates for p in self.patterns))
        return Pattern("lower-requirements", run, tuple(sorted(creates)))


def lower_module(module: Operation, profile, ctx: PassContext, target: str = "<profile>",
                 mode: str = "partial", overlay: dict | None = None) -> Operation:
    """Lower ``module`` against ``profile`` (anything with ``level`` and ``allows``)."""
    lowerer = _Lowerer(profile, target, mode, ctx, fresh_namer(module))
    new = walk_patterns(module, PatternSet(post=(lowerer.pattern(),)))
    stats = lowerer.stats
    ctx.publish(LowerCapabilitiesResult(
        overlay=dict(sorted(overlay.items())) if overlay else None, target=target, mode=mode,
        requirements=stats["requirements"], legal=stats["legal"],
        lowered=dict(sorted(stats["lowered"].items())), gaps=stats["gaps"]))
    return new


@attrs.frozen
class LowerCapabilities(Pass):
    name = "lower-capabilities"
    summary = "Legalize capability requirements for a target (delegate, translate, split, validate)"

    target: str = option("", "MODEL+HARNESS, e.g. qwen-7b+openhands")
    mode: str = option("partial", "partial: warn and keep gaps; full: a gap is an error", MODES)
    overlay: str = option("", "JSON file of primitive -> level caps applied on top of the "
                          "target's profile (e.g. levels learned by adaptive recompilation)")

    def apply(self, ctx: PassContext, module: Operation) -> Operation:
        if not self.target:
            ctx.diags.error("lower-capabilities needs target=MODEL+HARNESS", None, code="pipeline")
            raise CompileError("no target")
        if "+" not in self.target:
            # `-O` without --target builds the default pipeline for the bare harness alone: with
            # no model there is no profile to lower against, so say so and change nothing.
            ctx.diags.warning(f"lower-capabilities: target '{self.target}' names no model "
                              "(MODEL+HARNESS); capability lowering skipped", None, code="target")
            ctx.publish(LowerCapabilitiesResult(
                skipped=f"no model in target '{self.target}'"))
            return module
        overlay = self._overlay(ctx)
        try:
            profile = ctx.targets.profile(self.target, overlay=overlay, diags=ctx.diags)
        except TargetLookupError as err:
            ctx.diags.error(str(err), None, code="target")
            raise CompileError("bad target") from None
        except ValueError as err:  # an overlay naming an unknown primitive or a bad level
            ctx.diags.error(f"overlay {self.overlay}: {err}", None, code="overlay")
            raise CompileError("bad overlay") from None
        return lower_module(module, profile, ctx, self.target, self.mode, overlay)

    def _overlay(self, ctx: PassContext) -> dict | None:
        """The overlay file: ``{primitive: level}``, or an adaptive-recompilation overlay
        store file (``{"overlay": {...}, ...}``)."""
        if not self.overlay:
            return None
        from skvmc import safejson
        from skvmc.fsutil import read_limited

        if isinstance(self.overlay, Mapping):  # given as a dict option by the library API
            return dict(self.overlay)
        try:
            if self.overlay.lstrip().startswith("{"):  # inline JSON: what spec() prints
                data = safejson.loads(self.overlay)
            else:  # bounded: overlay=/dev/zero or a FIFO must not read forever
                data = safejson.loads(read_limited(self.overlay, 1 << 20, "the overlay")
                                      .decode("utf-8"))
        except (OSError, ValueError) as err:
            ctx.diags.error(f"cannot read overlay: {err}", Location(self.overlay),
                            code="overlay")
            raise CompileError("bad overlay") from None
        if isinstance(data, dict) and isinstance(data.get("overlay"), dict):
            data = data["overlay"]
        if not isinstance(data, dict):
            ctx.diags.error(f"overlay {self.overlay}: expected a JSON object primitive -> level",
                            None, code="overlay")
            raise CompileError("bad overlay")
        return data
