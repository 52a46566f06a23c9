"""`skvmc targets`: list models and harnesses, or show a target's effective profile."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from skvmc.diagnostics import DiagnosticEngine
from skvmc.targets.descriptors import list_harnesses, list_models
from skvmc.targets.profile import Profile, level_name, load_profile, primitive_ids
from skvmc.targets.target import TargetError, effective_profile, parse_target


def _profile_status(path: str | None) -> tuple[str, str]:
    """(profile file name, how its levels were obtained) for a model's profile."""
    if not path:
        return "-", "no profile"
    prof = load_profile(path, DiagnosticEngine())
    if prof is None:
        return Path(path).name, "invalid"
    if prof.measured:
        return Path(path).name, "measured"
    if prof.provenance.get("derivedFrom"):
        return Path(path).name, f"derived from {prof.provenance['derivedFrom']}"
    return Path(path).name, "UNMEASURED placeholder"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def _listing() -> dict:
    models = []
    for m in list_models():
        fname, status = _profile_status(m.profile_path)
        models.append({"alias": m.alias, "aliases": list(m.aliases), "litellm": m.litellm,
                       "contextWindow": m.context_window, "profile": fname,
                       "profileStatus": status})
    harnesses = [{"name": h.name, "projectPath": h.project_path, "userPath": h.user_path,
                  "contextFile": h.context_file, "tools": h.tools,
                  "caps": {p: level_name(v) for p, v in sorted(h.caps.items())}}
                 for h in list_harnesses()]
    return {"models": models, "harnesses": harnesses}


def _print_listing(data: dict, out) -> None:
    print("Models:", file=out)
    rows = [["ALIAS", "LITELLM", "CONTEXT", "PROFILE", "LEVELS"]]
    for m in data["models"]:
        rows.append([m["alias"], m["litellm"], str(m["contextWindow"] or "-"), m["profile"],
                     m["profileStatus"]])
    for line in _table(rows):
        print("  " + line, file=out)
    print("\nHarnesses:", file=out)
    rows = [["NAME", "PROJECT PATH", "USER PATH", "CONTEXT FILE", "TOOLS"]]
    for h in data["harnesses"]:
        tools = " ".join(f"{a}={t}" for a, t in h["tools"].items() if t) or "(no tool calling)"
        rows.append([h["name"], h["projectPath"] or "-", h["userPath"] or "-",
                     h["contextFile"] or "-", tools])
    for line in _table(rows):
        print("  " + line, file=out)
    print("\nUnknown levels count as L0 for legality. Show one target with --show MODEL+HARNESS.",
          file=out)


def _profile_json(target: str, prof: Profile) -> dict:
    return {"target": target, "model": prof.model, "harness": prof.harness,
            "measured": prof.measured, "profile": prof.path,
            "levels": {p: {"level": level_name(prof.level(p)), "source": prof.source(p)}
                       for p in primitive_ids()}}


def _print_profile(target, prof: Profile, out) -> None:
    print(f"target:  {target}", file=out)
    print(f"litellm: {target.model.litellm}", file=out)
    where = Path(prof.path).name if prof.path else "none"
    kind = "measured" if prof.measured else "not measured"
    print(f"profile: {where} ({kind}; {prof.provenance.get('source', 'no source')})", file=out)
    rows = [["PRIMITIVE", "LEVEL", "SOURCE"]]
    for p in primitive_ids():
        src = prof.source(p)
        if src == "harness cap":
            src += f" ({target.harness.name})"
        rows.append([p, level_name(prof.level(p)), src])
    for line in _table(rows):
        print("  " + line, file=out)
    print("Unknown levels count as L0 for legality.", file=out)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="skvmc targets",
        description="List the known models and harnesses, or show the effective capability "
                    "profile of one MODEL+HARNESS target.")
    ap.add_argument("--json", action="store_true", help="print JSON instead of tables")
    ap.add_argument("--show", metavar="MODEL+HARNESS",
                    help="show the effective profile of a target (MODEL may be a JSON path)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = sys.stdout
    if args.show:
        diags = DiagnosticEngine()
        try:
            target = parse_target(args.show, diags)
            prof = effective_profile(target)
        except TargetError as exc:
            diags.print()
            print(f"skvmc targets: error: {exc.message}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(_profile_json(str(target), prof), indent=2), file=out)
        else:
            _print_profile(target, prof, out)
        return 0
    data = _listing()
    if args.json:
        print(json.dumps(data, indent=2), file=out)
    else:
        _print_listing(data, out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
