"""Time and peak memory of one compile per hostile input (deep nesting, thousands of headings and
steps, long lines, YAML alias bombs, 1 MB skills).

    python bench/hostile_inputs.py [--target qwen-7b+openhands] [--timeout 120] [--only NAME ...]
                                   [--budget-seconds 2] [--budget-mb 200]

Each case is written to a temporary skill folder and compiled in a fresh process with
``skvmc SKILL --target=TARGET -o OUT`` (the real command line); the wall time, the CPU time
and the peak resident set of that process (``wait4`` rusage) are printed with the exit code
and the first diagnostic line. A case over budget is marked ``SLOW`` (CPU time over
``--budget-seconds``: wall time on a shared machine measures the neighbours) / ``BIG``; the
exit status is 1 when any case is over budget, timed out or crashed (a traceback on stderr).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

FRONT = "---\nname: {name}\ndescription: A hostile input.\n---\n\n"
MB = 1 << 20


def _skill(name: str, body: str, front: str | None = None) -> str:
    return (front if front is not None else FRONT.format(name=name)) + body


def _pad_to(text: str, size: int) -> str:
    return text if len(text) >= size else text + "x" * (size - len(text))


def cases() -> dict[str, str]:
    """name -> SKILL.md text."""
    out: dict[str, str] = {}
    out["nested-lists-500"] = _skill("nested-lists-500", "".join(
        "  " * i + f"- level {i}\n" for i in range(500)))
    out["nested-quotes-500"] = _skill("nested-quotes-500", "> " * 500 + "deep\n")
    out["nested-ordered-800"] = _skill("nested-ordered-800", "".join(
        "   " * i + f"1. run step {i}\n" for i in range(800)))
    out["nested-lists-100"] = _skill("nested-lists-100", "".join(
        "  " * i + f"- read `in{i}.txt` then write `out{i}.txt`\n" for i in range(100)))
    out["headings-3000"] = _skill("headings-3000", "".join(
        f"{'#' * (1 + i % 6)} Heading {i}\n\n1. Do thing {i} and write out/{i}.txt\n\n"
        for i in range(3000)))
    out["headings-3000-flat"] = _skill("headings-3000-flat", "".join(
        f"## Part {i}\n\nRead notes.md then summarise it.\n\n" for i in range(3000)))
    out["steps-1500"] = _skill("steps-1500", "".join(
        f"{i + 1}. Step {i}: check the input.\n" for i in range(1500)))
    out["steps-1500-independent"] = _skill("steps-1500-independent", "".join(
        f"- Read `in/{i}.txt` and write `out/{i}.txt`.\n" for i in range(1500)))
    out["long-line-1mb"] = _skill("long-line-1mb", _pad_to("Run this: ", MB) + "\n")
    out["long-fence-line-1mb"] = _skill("long-fence-line-1mb",
                                        "1. Run:\n\n   ```bash\n   echo " + "a" * MB + "\n   ```\n")
    out["many-links-1mb"] = _skill("many-links-1mb", "".join(
        f"See [ref {i}](docs/{i}.md) and `scripts/s{i}.py`.\n" for i in range(MB // 48)))
    bomb = ('a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
            'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
            'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n')
    out["yaml-alias-bomb"] = _skill("", "1. Do it.\n", front="---\nname: yaml-alias-bomb\n"
                                    "description: x\n" + bomb + "---\n\n")
    out["yaml-recursive-alias"] = _skill("", "1. Do it.\n", front="---\nname: yaml-recursive-alias\n"
                                         "description: x\na: &a [*a]\n---\n\n")
    out["yaml-nested-1000"] = _skill("", "1. Do it.\n", front="---\nname: yaml-nested-1000\n"
                                     "description: x\nx: " + "[" * 1000 + "]" * 1000 + "\n---\n\n")
    out["yaml-many-keys"] = _skill("", "1. Do it.\n", front="---\nname: yaml-many-keys\n"
                                   "description: x\nmetadata:\n" + "".join(
                                       f"  k{i}: v{i}\n" for i in range(12000)) + "---\n\n")
    block = ("## Section {i}\n\nUse `scripts/run.py` for each file. Then check the output.\n\n"
             "1. Read `data/in{i}.csv` and write `out/{i}.json`.\n"
             "2. Run it:\n\n   ```bash\n   python3 scripts/run.py data/in{i}.csv -o out/{i}.json\n"
             "   ```\n\n3. Then report the result.\n   - nested point {i}\n\n"
             "| a | b |\n|---|---|\n| {i} | x |\n\n> Note {i}: keep going.\n\n")
    mixed, i = [], 0
    while sum(map(len, mixed)) < MB:
        mixed.append(block.format(i=i))
        i += 1
    out["mixed-1mb"] = _skill("mixed-1mb", "# Mixed\n\n" + "".join(mixed))
    out["steps-1mb"] = _skill("steps-1mb", "".join(
        f"{i + 1}. Step {i}: do it.\n" for i in range(MB // 20)))
    # every step a duplicate of the first: dead-step-elim removes ~55,000 of them
    out["duplicate-steps-1mb"] = _skill("duplicate-steps-1mb",
                                        "- Check the input.\n" * (MB // 19))
    out["headings-1mb"] = _skill("headings-1mb", "".join(
        f"{'#' * (1 + i % 6)} H{i}\n" for i in range(MB // 8)))
    return out


def run_case(skill_dir: str, out_dir: str, target: str, timeout: float):
    """(wall seconds, CPU seconds, peak RSS MB, exit code or None on timeout, stderr)."""
    cmd = [sys.executable, "-m", "skvmc.cli", skill_dir, f"--target={target}", "-o", out_dir]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                status = None
                break
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        proc.returncode = 0  # reaped by wait4 above
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status) if status is not None else None
    cpu = usage.ru_utime + usage.ru_stime  # less sensitive than wall time to a busy machine
    return seconds, cpu, usage.ru_maxrss / 1024, code, stderr


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", default="qwen-7b+openhands")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per case")
    p.add_argument("--only", nargs="*", help="case names to run")
    p.add_argument("--budget-seconds", type=float, default=2.0)
    p.add_argument("--budget-mb", type=float, default=200.0)
    args = p.parse_args(argv)
    bad = 0
    with tempfile.TemporaryDirectory(prefix="skvmc-hostile-") as tmp:
        for name, text in cases().items():
            if args.only and name not in args.only:
                continue
            folder = os.path.join(tmp, name)
            os.makedirs(folder)
            with open(os.path.join(folder, "SKILL.md"), "w", encoding="utf-8") as fh:
                fh.write(text)
            seconds, cpu, mb, code, err = run_case(folder, os.path.join(tmp, "out-" + name),
                                              args.target, args.timeout)
            flags = []
            if code is None:
                flags.append("TIMEOUT")
            if "Traceback" in err:
                flags.append("CRASH")
            if cpu > args.budget_seconds:
                flags.append("SLOW")
            if mb > args.budget_mb:
                flags.append("BIG")
            bad += bool(flags)
            first = next((ln for ln in err.splitlines() if ": error: " in ln
                          or "Error" in ln), "")
            print(f"{name:<24} {len(text) / 1024:8.1f} KiB {seconds:8.2f} s (cpu {cpu:6.2f} s) "
                  f"{mb:8.1f} MB "
                  f"exit {code!s:>4} {' '.join(flags):<12} {first[:90]}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
