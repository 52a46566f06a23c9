"""``skvmc compile-corpus ROOT --target T[,T...] -o OUT``: compile a folder tree of skills.

Every folder under ROOT holding a SKILL.md is a skill (hidden folders are skipped). Each skill
is one unit of ``skvmc.batch`` (parsed once, the target-independent prefix once, then every
target), run through the matrix executor profile and bench use (``skvmc.matrix``):
``--executor local`` (``-j N`` > 1: worker processes) or ``--executor ray``.

Results are written as they arrive: ``OUT/results.jsonl`` gets one line per skill x target
(flushed), the artifacts go to ``OUT/artifacts/<skill path under ROOT>/<model>+<harness>/``
(each folder written atomically, before its line). Rerunning resumes: entries already in
results.jsonl are skipped (a torn last line from an interruption is ignored and redone). At the
end ``OUT/results.json`` holds every entry sorted by key, so two runs compare with ``diff``.
A progress bar is drawn on stderr only when it is a terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from skvmc.exitcodes import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE

RESULTS = "results.jsonl"


def find_skills(root: str) -> list[str]:
    """Every folder under ``root`` (itself included) holding a SKILL.md, sorted."""
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        if "SKILL.md" in files:
            out.append(folder)
    return sorted(out)


def skill_id(root: str, folder: str) -> str:
    rel = os.path.relpath(folder, root).replace(os.sep, "/")
    return os.path.basename(os.path.abspath(folder)) if rel == "." else rel


def load_done(path: str) -> dict[str, dict]:
    """Entries of an earlier run by key; a torn or foreign line is skipped (and redone)."""
    done: dict[str, dict] = {}
    if not os.path.isfile(path):
        return done
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
                done[rec["key"]] = rec
            except (ValueError, KeyError, TypeError):
                continue
    with open(path, "rb+") as fh:  # our first append must start on a fresh line
        fh.seek(0, 2)
        if fh.tell():
            fh.seek(-1, 2)
            if fh.read(1) != b"\n":
                fh.write(b"\n")
    return done


class Progress:
    """``[#####.....] done/total`` on a terminal; nothing otherwise."""

    def __init__(self, total: int, stream=None):
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.on = total > 0 and hasattr(self.stream, "isatty") and self.stream.isatty()

    def step(self, label: str = "") -> None:
        self.done += 1
        if self.on:
            width = 30
            filled = width * self.done // self.total
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] "
                              f"{self.done}/{self.total} {label[:40]:<40}")
            self.stream.flush()

    def close(self) -> None:
        if self.on:
            self.stream.write("\n")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="skvmc compile-corpus", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root", metavar="ROOT", help="folder tree of skills (folders with SKILL.md)")
    p.add_argument("--target", "-t", required=True, metavar="MODEL+HARNESS[,...]",
                   help="targets, comma-separated")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local (-j N worker processes) or Ray tasks (pip install 'skvmc[ray]')")
    p.add_argument("--ray-address", metavar="ADDR", help="an existing Ray cluster")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                   help="worker processes (local) or tasks in flight (ray)")
    p.add_argument("--cache-dir", metavar="DIR", help="content-addressed compile cache")
    p.add_argument("--strict", action="store_true", help="lower-capabilities mode=full")
    p.add_argument("--no-resume", action="store_true",
                   help="start over: ignore and replace an existing results.jsonl")
    return p


def _records(sid: str, skill, known_targets) -> list[dict]:
    out = []
    for t in skill.targets:
        out.append({"key": f"{sid}|{t.target_spec}", "skill": sid, "target": t.target_spec,
                    "status": "ok" if t.ok else "error", "errors": t.errors,
                    "warnings": t.warnings, "cached": t.cached,
                    "artifacts": f"artifacts/{sid}/{t.target_name}" if t.ok else None,
                    "files": sorted(t.files), "diagnostics": skill.text + t.text})
    if not skill.ok:  # the frontend or the shared prefix failed: every missing target failed
        seen = {t.target_spec for t in skill.targets}
        for spec in known_targets:
            if spec not in seen:
                out.append({"key": f"{sid}|{spec}", "skill": sid, "target": spec,
                            "status": "error", "errors": max(1, skill.errors),
                            "warnings": skill.warnings, "cached": False, "artifacts": None,
                            "files": [], "diagnostics": skill.text or skill.usage})
    return out


def main(argv: list[str]) -> int:
    from skvmc.batch import Unit, run_units
    from skvmc.compile import CompileOptions
    from skvmc.driver import parse_targets
    from skvmc.fsutil import AtomicDir, atomic_write_json

    args = build_parser().parse_args(argv)
    if not os.path.isdir(args.root):
        print(f"skvmc compile-corpus: error: no such folder: {args.root}", file=sys.stderr)
        return EXIT_USAGE
    specs = parse_targets(args.target)
    if isinstance(specs, str):
        print(f"skvmc compile-corpus: error: {specs}", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs < 1:
        print("skvmc compile-corpus: error: -j needs a number >= 1", file=sys.stderr)
        return EXIT_USAGE
    from skvmc.cache import usage_problem

    if usage_problem(args.cache_dir):
        print(f"skvmc compile-corpus: error: {usage_problem(args.cache_dir)}", file=sys.stderr)
        return EXIT_USAGE
    if args.executor == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            print("skvmc compile-corpus: error: --executor ray needs Ray "
                  "(pip install 'skvmc[ray]')", file=sys.stderr)
            return EXIT_USAGE
    skills = find_skills(args.root)
    if not skills:
        print(f"skvmc compile-corpus: error: no SKILL.md under {args.root}", file=sys.stderr)
        return EXIT_USAGE
    out = os.path.abspath(args.output)
    os.makedirs(out, exist_ok=True)
    jsonl = os.path.join(out, RESULTS)
    if args.no_resume and os.path.exists(jsonl):
        os.unlink(jsonl)
    done = load_done(jsonl)
    options = CompileOptions(strict=args.strict)
    ids = {folder: skill_id(args.root, folder) for folder in skills}
    units = []
    for i, folder in enumerate(skills):
        todo = tuple(s for s in specs if f"{ids[folder]}|{s}" not in done)
        if todo:
            units.append(Unit(i, folder, todo, options, args.cache_dir))
    by_index = {u.index: u for u in units}
    records = dict(done)
    progress = Progress(len(units))

    def finish(skill) -> None:
        sid = ids[skills[skill.index]]
        lines = []
        for rec, t in zip(_records(sid, skill, by_index[skill.index].targets),
                          [*skill.targets, *[None] * len(specs)]):
            if t is not None and t.ok:
                folder = AtomicDir(os.path.join(out, *rec["artifacts"].split("/")))
                with folder:  # AtomicDir.write keeps every path inside the folder
                    for rel, data in t.files.items():
                        folder.write(rel, data, 0o755 if rel.endswith("env-setup.sh") else None)
            records[rec["key"]] = rec
            lines.append(json.dumps(rec, sort_keys=True) + "\n")
        with open(jsonl, "a", encoding="utf-8") as fh:
            fh.writelines(lines)
            fh.flush()
        progress.step(sid)

    try:
        run_units(units, jobs=args.jobs, executor=args.executor, ray_address=args.ray_address,
                  on_done=finish)
    except KeyboardInterrupt:
        progress.close()
        print(f"skvmc compile-corpus: interrupted; rerun to resume ({jsonl})", file=sys.stderr)
        return EXIT_INTERRUPTED
    progress.close()
    ordered = [records[k] for k in sorted(records)]
    atomic_write_json(os.path.join(out, "results.json"), ordered)
    ok = sum(r["status"] == "ok" for r in ordered)
    failed = len(ordered) - ok
    cached = sum(bool(r.get("cached")) for r in ordered)
    print(f"{len(skills)} skills x {len(specs)} targets: {ok} ok, {failed} failed "
          f"({len(done)} resumed, {cached} from cache) -> {jsonl}", file=sys.stderr)
    return EXIT_ERROR if failed else EXIT_OK
