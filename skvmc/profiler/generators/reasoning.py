"""Generators for the reasoning category: arithmetic, logic, spatial, planning, analysis."""
from __future__ import annotations

import itertools
import json
import math

from .base import spec

NUM_ONLY = " Reply with only the number."


def _num(prompt, value, answer=None, **tol):
    return spec(prompt + NUM_ONLY, [{"kind": "number", "value": value, **tol}],
                answer if answer is not None else _fmt(value))


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else repr(v)


# ----------------------------------------------------------------- arithmetic
def arith_l1(rng):
    op = rng.choice("+-*/")
    a, b = rng.randint(10, 999), rng.randint(2, 99)
    if op == "/":
        a = a * b
    value = {"+": a + b, "-": a - b, "*": a * b, "/": a // b}[op]
    return _num(f"What is {a} {op} {b}?", value)


def arith_l2(rng):
    stock, per_day, days, delivery = rng.randint(200, 500), rng.randint(5, 20), rng.randint(3, 9), rng.randint(20, 90)
    price = rng.randint(2, 9)
    value = (stock - per_day * days + delivery) * price
    return _num(f"A shop has {stock} boxes. It sells {per_day} boxes a day for {days} days, then receives a delivery "
                f"of {delivery} boxes. What is the value of its stock now if each box is worth {price} dollars?", value)


def arith_l3(rng):
    if rng.random() < 0.5:
        price, up, down, tax = rng.randint(50, 900), rng.randint(5, 30), rng.randint(5, 40), rng.choice([7, 19, 20])
        value = round(price * (1 + up / 100) * (1 - down / 100) * (1 + tax / 100), 2)
        prompt = (f"A product costs {price} EUR. Its price rises by {up}%, then the new price is discounted by {down}%, "
                  f"then {tax}% tax is added. What is the final price, rounded to 2 decimals?")
    else:
        p, r, years = rng.randint(1, 20) * 500, rng.choice([2, 3, 4.5, 5]), rng.randint(2, 10)
        value = round(p * (1 + r / 100 / 12) ** (12 * years), 2)
        prompt = (f"{p} dollars are invested at {r}% annual interest compounded monthly for {years} years. "
                  "What is the balance, rounded to 2 decimals?")
    # tolerance: one cent (rounding is part of the task)
    return _num(prompt, value, f"{value:.2f}", abs_tol=0.011)


# ----------------------------------------------------------------- logic
def logic_l1(rng):
    thing, prop = rng.choice([("glorp", "blue"), ("zindle", "heavy"), ("mokit", "loud"), ("trax", "round")])
    name = rng.choice(["Pim", "Ora", "Tek"])
    form = rng.choice(["ponens", "tollens", "consequent"])
    rule = f"Every {thing} is {prop}."
    if form == "ponens":
        fact, q, ans = f"{name} is a {thing}.", f"Is {name} {prop}?", "yes"
    elif form == "tollens":
        fact, q, ans = f"{name} is not {prop}.", f"Is {name} a {thing}?", "no"
    else:
        fact, q, ans = f"{name} is {prop}.", f"Is {name} a {thing}?", "unknown"
    prompt = f"{rule} {fact} {q} Answer with exactly one word: yes, no or unknown."
    return spec(prompt, [{"kind": "text", "value": ans, "strip_punct": True}], ans)


def _seat_constraints(names, perm):
    pos = {n: i for i, n in enumerate(perm)}
    out = []
    for a, b in itertools.permutations(names, 2):
        if pos[a] < pos[b]:
            out.append((f"{a} sits somewhere left of {b}.", lambda p, a=a, b=b: p.index(a) < p.index(b)))
        if pos[a] + 1 == pos[b]:
            out.append((f"{a} sits immediately left of {b}.", lambda p, a=a, b=b: p.index(a) + 1 == p.index(b)))
        if abs(pos[a] - pos[b]) > 1 and a < b:
            out.append((f"{a} and {b} do not sit next to each other.", lambda p, a=a, b=b: abs(p.index(a) - p.index(b)) > 1))
    for n in names:
        out.append((f"{n} sits in seat {pos[n] + 1}.", lambda p, n=n, k=pos[n]: p.index(n) == k))
    return out


def logic_l2(rng):
    names = rng.sample(["Ana", "Bo", "Cy", "Di", "Ed"], 4)
    perm = names[:]
    rng.shuffle(perm)
    pool = [c for c in _seat_constraints(names, perm) if "seat" not in c[0]]
    rng.shuffle(pool)
    chosen = []
    for text, fn in pool + [c for c in _seat_constraints(names, perm) if "seat" in c[0]]:
        chosen.append((text, fn))
        sols = [p for p in itertools.permutations(names) if all(f(list(p)) for _, f in chosen)]
        if len(sols) == 1:
            break
    ans = ", ".join(perm)
    prompt = (f"Four people ({', '.join(sorted(names))}) sit in a row of seats 1-4, left to right. "
              + " ".join(t for t, _ in chosen) + " List them from seat 1 to seat 4, comma-separated, nothing else.")
    return spec(prompt, [{"kind": "text", "value": ans, "strip_punct": True}], ans)


def logic_l3(rng):
    items = [(f"item{chr(65 + i)}", rng.randint(2, 9), rng.randint(3, 30)) for i in range(rng.randint(6, 7))]
    cap = sum(w for _, w, _ in items) // 2
    best = max(sum(v for _, _, v in c) for k in range(len(items) + 1)
               for c in itertools.combinations(items, k) if sum(w for _, w, _ in c) <= cap)
    desc = "; ".join(f"{n}: weight {w}, value {v}" for n, w, v in items)
    return _num(f"A bag holds at most weight {cap}. Items (each usable once): {desc}. "
                "What is the maximum total value that fits?", best)


# ----------------------------------------------------------------- spatial
DIRS = {(0, 1): "N", (1, 1): "NE", (1, 0): "E", (1, -1): "SE", (0, -1): "S", (-1, -1): "SW", (-1, 0): "W", (-1, 1): "NW"}


def spatial_l1(rng):
    x, y = rng.randint(-9, 9), rng.randint(-9, 9)
    if rng.random() < 0.5:
        dx, dy = rng.randint(-9, 9), rng.randint(-9, 9)
        d = round(math.hypot(dx, dy), 3)
        return _num(f"What is the straight-line distance between points ({x}, {y}) and ({x + dx}, {y + dy})? "
                    "Round to 3 decimals.", d, str(d), abs_tol=0.0011)
    (ux, uy), name = rng.choice(list(DIRS.items()))
    k = rng.randint(1, 6)
    prompt = (f"On a map where +y is north and +x is east, which compass direction (one of N, NE, E, SE, S, SW, W, NW) "
              f"leads from ({x}, {y}) to ({x + k * ux}, {y + k * uy})? Reply with only the direction.")
    return spec(prompt, [{"kind": "text", "value": name, "strip_punct": True}], name)


def spatial_l2(rng):
    if rng.random() < 0.5:
        n = rng.randint(4, 6)
        pts = sorted({(round(math.cos(2 * math.pi * i / n) * rng.randint(3, 9)), round(math.sin(2 * math.pi * i / n) * rng.randint(3, 9))) for i in range(n)},
                     key=lambda p: math.atan2(p[1], p[0]))
        area = abs(sum(pts[i][0] * pts[(i + 1) % len(pts)][1] - pts[(i + 1) % len(pts)][0] * pts[i][1] for i in range(len(pts)))) / 2
        return _num(f"What is the area of the polygon with vertices (in order) {', '.join(map(str, pts))}?", area)
    x, y, tx, ty = rng.randint(-9, 9), rng.randint(-9, 9), rng.randint(-5, 5), rng.randint(-5, 5)
    res = [-y + tx, x + ty]
    prompt = (f"Rotate the point ({x}, {y}) by 90 degrees counter-clockwise about the origin, then translate it by "
              f"({tx}, {ty}). Reply with only the resulting point as a JSON array [x, y].")
    return spec(prompt, [{"kind": "data", "value": res}], json.dumps(res))


CITIES = {"Paris": (48.8566, 2.3522), "Tokyo": (35.6762, 139.6503), "New York": (40.7128, -74.006),
          "Sydney": (-33.8688, 151.2093), "Cairo": (30.0444, 31.2357), "Lima": (-12.0464, -77.0428)}


def spatial_l3(rng):
    if rng.random() < 0.5:
        a = [rng.randint(-9, 9) for _ in range(3)]
        b = [rng.randint(-9, 9) for _ in range(3)]
        d = round(math.dist(a, b), 3)
        return _num(f"What is the distance between the 3D points {tuple(a)} and {tuple(b)}? Round to 3 decimals.",
                    d, str(d), abs_tol=0.0011)
    c1, c2 = rng.sample(sorted(CITIES), 2)
    (la1, lo1), (la2, lo2) = (tuple(map(math.radians, CITIES[c])) for c in (c1, c2))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    d = round(2 * 6371 * math.asin(math.sqrt(h)))
    # tolerance: 0.5% relative (spherical model, rounding)
    return _num(f"Using a spherical Earth of radius 6371 km, what is the great-circle distance in km between "
                f"{c1} {CITIES[c1]} and {c2} {CITIES[c2]} (latitude, longitude in degrees)? Round to the nearest km.",
                d, rel_tol=0.005)


# ----------------------------------------------------------------- planning
def planning_l1(rng):
    steps = rng.choice([["buy ingredients", "chop vegetables", "cook soup", "serve soup", "wash dishes"],
                        ["write code", "run tests", "fix failures", "open pull request", "merge"],
                        ["pack bags", "lock door", "drive to airport", "check in", "board plane"]])
    steps = steps[:rng.randint(3, 5)]
    shown = steps[:]
    rng.shuffle(shown)
    deps = [[steps[i], steps[i + 1]] for i in range(len(steps) - 1)]
    hints = " ".join(f"'{a}' must happen before '{b}'." for a, b in rng.sample(deps, len(deps)))
    prompt = (f"Put these steps in a valid order: {', '.join(shown)}. {hints} Reply with the steps "
              "comma-separated, nothing else.")
    return spec(prompt, [{"kind": "topo", "items": steps, "deps": deps}], ", ".join(steps))


def planning_l2(rng):
    names = [chr(65 + i) for i in range(rng.randint(5, 7))]
    dur = {n: rng.randint(1, 6) for n in names}
    deps = {n: sorted(rng.sample(names[:i], rng.randint(0, min(2, i)))) if i else [] for i, n in enumerate(names)}
    finish = {}
    for n in names:
        finish[n] = max((finish[d] for d in deps[n]), default=0) + dur[n]
    first = [n for n in names if not deps[n]]
    ans = {"makespan": max(finish.values()), "start_first": first}
    desc = "; ".join(f"{n} takes {dur[n]}h" + (f" after {', '.join(deps[n])}" if deps[n] else "") for n in names)
    prompt = (f"Tasks: {desc}. Unlimited workers can run independent tasks in parallel. Reply with only JSON "
              "{\"makespan\": <minimum total hours>, \"start_first\": [tasks that can start at hour 0, alphabetical]}.")
    return spec(prompt, [{"kind": "data", "value": ans}], json.dumps(ans))


def planning_l3(rng):
    fails = {"build": rng.randint(0, 2), "test": rng.randint(0, 1), "deploy": rng.randint(0, 2)}
    trace = ["build"]
    n_build_fail = fails["build"]
    if n_build_fail >= 1:
        trace.append("build")  # retry once
        if n_build_fail >= 2:
            trace += ["clean", "build"]  # after the clean the build succeeds
    trace.append("test")
    if fails["test"]:
        trace += ["rollback", "notify"]
    else:
        trace.append("deploy")
        for _ in range(fails["deploy"]):
            trace += ["wait", "deploy"]
        trace.append("notify")
    prompt = ("Procedure: run build. If build fails, run build again; if it fails a second time, run clean and then "
              "build (which then succeeds). Then run test. If test fails, run rollback, then notify, and stop. "
              "Otherwise run deploy; each time deploy fails, run wait and then deploy again. Finally run notify.\n"
              f"In this run build fails {fails['build']} time(s), test fails {fails['test']} time(s), "
              f"deploy fails {fails['deploy']} time(s). List every action executed, in order, comma-separated.")
    ans = ", ".join(trace)
    return spec(prompt, [{"kind": "text", "value": ans, "strip_punct": True}], ans)


# ----------------------------------------------------------------- analysis
SNIPPETS = [
    ("def f(xs):\n    return sum(x for x in xs if x % 2 == 0)", lambda xs: sum(x for x in xs if x % 2 == 0)),
    ("def f(xs):\n    return max(xs) - min(xs)", lambda xs: max(xs) - min(xs)),
    ("def f(xs):\n    out = 0\n    for i, x in enumerate(xs):\n        out += i * x\n    return out",
     lambda xs: sum(i * x for i, x in enumerate(xs))),
    ("def f(xs):\n    return len([x for x in xs if x > xs[0]])", lambda xs: len([x for x in xs if x > xs[0]])),
]


def analysis_l1(rng):
    src, fn = rng.choice(SNIPPETS)
    xs = [rng.randint(-9, 20) for _ in range(rng.randint(4, 7))]
    return _num(f"What does this Python function return for f({xs})?\n```python\n{src}\n```", fn(xs))


BUGGY = [
    (["def average(xs):", "    total = 0", "    for x in xs:", "        total += x", "    return total / (len(xs) - 1)"], 5),
    (["def last_n(xs, n):", "    \"\"\"Return the last n items.\"\"\"", "    return xs[-n - 1:]"], 3),
    (["def count_vowels(s):", "    n = 0", "    for ch in s.lower():", "        if ch in 'aeio':", "            n += 1", "    return n"], 4),
    (["def is_leap(y):", "    if y % 400 == 0:", "        return True", "    if y % 100 == 0:", "        return True",
      "    return y % 4 == 0"], 5),
    (["def clamp(x, lo, hi):", "    if x < lo:", "        return lo", "    if x > hi:", "        return lo", "    return x"], 5),
]


def analysis_l2(rng):
    lines, bad = rng.choice(BUGGY)
    numbered = "\n".join(f"{i + 1:>2}| {ln}" for i, ln in enumerate(lines))
    return _num(f"This function has exactly one bug. Which line number contains it?\n```\n{numbered}\n```", bad)


def analysis_l3(rng):
    rate, cents = rng.choice([0.2, 0.19, 0.07]), rng.randint(1000, 9000)
    culprit = rng.choice(["units.py", "config.py", "report.py"])
    units = ["def to_euros(cents):", "    return cents / 100"]
    config = [f"TAX_RATE = {rate}", "CURRENCY = 'EUR'"]
    report = ["from config import TAX_RATE", "from units import to_euros", "", "def gross(cents):",
              "    return to_euros(cents) * (1 + TAX_RATE)"]
    line = {"units.py": 2, "config.py": 1, "report.py": 5}[culprit]
    if culprit == "units.py":
        units[1] = "    return cents / 10"
    elif culprit == "config.py":
        config[0] = f"TAX_RATE = {int(rate * 100)}"
    else:
        report[4] = "    return to_euros(cents) * TAX_RATE"
    main = ["from report import gross", "", f"print(round(gross({cents}), 2))"]
    files = {n: "\n".join(src) + "\n" for n, src in
             [("units.py", units), ("config.py", config), ("report.py", report), ("main.py", main)]}
    want = round(cents / 100 * (1 + rate), 2)
    ans = {"file": culprit, "line": line}
    prompt = (f"The Python project in the working directory (main.py, report.py, units.py, config.py) should print the "
              f"gross price {want} for {cents} cents ({int(rate * 100)}% tax) but prints something else. Find the root "
              "cause. Reply with only JSON {\"file\": <file name>, \"line\": <1-based line number>}.")
    return spec(prompt, [{"kind": "data", "value": ans}], json.dumps(ans), files=files)


LEVELS = {
    "reason.arithmetic": (arith_l1, arith_l2, arith_l3),
    "reason.logic": (logic_l1, logic_l2, logic_l3),
    "reason.spatial": (spatial_l1, spatial_l2, spatial_l3),
    "reason.planning": (planning_l1, planning_l2, planning_l3),
    "reason.analysis": (analysis_l1, analysis_l2, analysis_l3),
}
