"""``skvmc jit list|show|clear``: inspect or clear JIT-solidified steps (see docs/jit.md)."""

from __future__ import annotations

import argparse
import json
import sys


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="skvmc jit", description=__doc__)
    p.add_argument("--cache-dir", default=None,
                   help="JIT state folder (default: $SKVMC_CACHE_DIR, else "
                        "$XDG_CACHE_HOME/skvmc/jit, else ~/.cache/skvmc/jit)")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="skills/targets with counts of observed and promoted steps")
    show = sub.add_parser("show", help="per step: state, runs seen, template code, params")
    show.add_argument("skill")
    show.add_argument("--target", default=None, help="only this target")
    show.add_argument("--json", action="store_true", help="print the raw state")
    clear = sub.add_parser("clear", help="forget JIT state (of one skill, or of all)")
    clear.add_argument("skill", nargs="?", default=None)
    return p


def main(argv: list[str] | None = None) -> int:
    from skvmc.vm.jit import JitStore

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    store = JitStore(args.cache_dir)
    if args.cmd == "list":
        entries = store.entries()
        if not entries:
            print(f"no JIT state in {store.root}")
            return 0
        print(f"{'SKILL':24} {'VERSION':16} {'TARGET':24} OBSERVED PROMOTED")
        for _, data in entries:
            steps = data["steps"].values()
            promoted = sum(1 for s in steps if s.get("state") == "promoted")
            print(f"{data.get('skill', '?'):24} {data.get('version', '?'):16} "
                  f"{data.get('target', '?'):24} {len(data['steps']):8} {promoted:8}")
        return 0
    if args.cmd == "show":
        found = [d for _, d in store.entries() if d.get("skill") == args.skill
                 and (args.target is None or d.get("target") == args.target)]
        if not found:
            print(f"skvmc jit: error: no JIT state for skill {args.skill!r}"
                  + (f" on target {args.target!r}" if args.target else ""), file=sys.stderr)
            return 1
        if args.json:
            print(json.dumps(found, indent=1, sort_keys=True))
            return 0
        for data in found:
            print(f"skill {data['skill']}  version {data['version']}  target {data['target']}")
            for step_id, st in sorted(data["steps"].items(), key=lambda kv: _num(kv[0])):
                best = max((o["count"] for o in st.get("observations", {}).values()),
                           default=0)
                print(f"  step pc={step_id}: {st['state']}  runs={st['runs']}  "
                      f"most-equivalent={best}  solid_runs={st['solid_runs']}  "
                      f"failures={st['failures']}  demotions={st['demotions']}")
                tmpl = st.get("template")
                if tmpl:
                    params = ", ".join(f"{n}: {t} (e.g. {tmpl['example'].get(n)!r})"
                                       for n, t in tmpl["params"].items()) or "none"
                    print(f"    params: {params}")
                    if tmpl.get("pinned"):
                        print(f"    pinned inputs: {tmpl['pinned']}")
                    for act in tmpl["actions"]:
                        if act["kind"] == "code":
                            print(f"    code ({act['language']}):")
                            for line in act["code"].splitlines():
                                print("      " + line)
                        elif act["kind"] == "write":
                            print(f"    write {act['path']}: {act['content'][:200]!r}")
                        else:
                            print(f"    exec {act['argv']}")
        return 0
    n = store.clear(args.skill)
    print(f"cleared {n} JIT state file{'s' if n != 1 else ''}"
          + (f" of skill {args.skill}" if args.skill else ""))
    return 0


def _num(s: str):
    return (0, int(s)) if s.isdigit() else (1, s)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
