"""Reference solution: run with cwd = the task workdir."""
import datetime as dt

NAMES = {**{m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
         **{d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}}
SHORT = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
         "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
         "@hourly": "0 * * * *"}
LIMITS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def value(text):
    return int(NAMES.get(text.lower(), text))


def expand(text, lo, hi):
    out = set()
    for part in text.split(","):
        rng, slash, step = part.partition("/")
        if rng == "*":
            a, b = lo, hi
        elif "-" in rng:
            a, b = map(value, rng.split("-"))
        else:
            a = value(rng)
            b = hi if slash else a
        out.update(range(a, b + 1, int(step or 1)))
    return out


def runs(fields, day):
    sets = [expand(f, lo, hi) for f, (lo, hi) in zip(fields, LIMITS)]
    minutes, hours, doms, months, dows = sets
    dows = {d % 7 for d in dows}
    if day.month not in months:
        return 0
    dom_hit, dow_hit = day.day in doms, day.isoweekday() % 7 in dows
    both = not fields[2].startswith("*") and not fields[4].startswith("*")
    return len(minutes) * len(hours) if (dom_hit or dow_hit if both else dom_hit and dow_hit) else 0


def jobs(path):
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#") or "=" in line.split()[0]:
            continue
        if line.startswith("@"):
            short, command = line.split(None, 1)
            fields = SHORT[short].split() if short in SHORT else None
        else:
            *fields, command = line.split(None, 5)
        yield command.split()[0].rsplit("/", 1)[-1], fields


day = dt.date(2025, 3, 16)
names = sorted(name for name, fields in jobs("crontab") if fields and runs(fields, day))
open("sunday_jobs.txt", "w").write("".join(n + "\n" for n in names))
