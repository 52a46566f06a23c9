"""Generators for the tool-use category. The agent works in a sandbox workdir seeded with
`files`; checkers inspect the workdir (files written, tool-call logs) and the reply.

tool.web and tool.browser instances set `requires_network=True`: their fictitious API/site is
described in `expected["routes"]` / `expected["pages"]` but nothing serves it, so an offline
profiler must report them as unknown rather than failed.
"""
from __future__ import annotations

import hashlib
import json
import shlex

from .base import spec

WORDS = ["amber", "basalt", "cobalt", "dune", "ember", "fjord", "garnet", "harbor", "indigo", "jasper"]

# A sandbox "tool": logs each call as one JSON line {"tool": name, "args": {...}} to calls.jsonl.
TOOL_PY = '''"""Sandbox tool: python3 tool.py NAME --key value ... (JSON values are parsed)."""
import json
import sys

name, rest = sys.argv[1], sys.argv[2:]
args = {}
for key, value in zip(rest[::2], rest[1::2]):
    try:
        value = json.loads(value) if value[:1] in "[{" else value
    except ValueError:
        sys.exit(f"argument {key}: invalid JSON")
    args[key.lstrip("-")] = value
with open("calls.jsonl", "a") as log:
    log.write(json.dumps({"tool": name, "args": args}) + "\\n")
print("ok")
'''


def _lookup_py(name, table):
    return f'''"""Sandbox tool: python3 {name}.py KEY prints the value stored for KEY."""
import json
import sys

TABLE = {json.dumps(table)}
key = sys.argv[1]
with open("calls.jsonl", "a") as log:
    log.write(json.dumps({{"tool": "{name}", "args": {{"key": key}}}}) + "\\n")
print(TABLE.get(key, "unknown key"))
'''


def _log(*calls):
    return "".join(json.dumps(c) + "\n" for c in calls)


# ----------------------------------------------------------------- file.read
def read_l1(rng):
    code = f"{rng.choice(WORDS).upper()}-{rng.randint(1000, 9999)}"
    lines = [f"note {i}: {rng.choice(WORDS)} {rng.choice(WORDS)}" for i in range(12)]
    lines.insert(rng.randint(0, 12), f"The access code is {code}.")
    return spec("Read `notes.txt` in the working directory and reply with only the access code it contains.",
                [{"kind": "text", "value": code, "strip_punct": True}], code, files={"notes.txt": "\n".join(lines) + "\n"})


def read_l2(rng):
    names = [f"part_{w}.txt" for w in rng.sample(WORDS, 5)]
    missing = sorted(rng.sample(names, 2))
    files = {n: f"{rng.randint(1, 500)}\n" for n in names if n not in missing}
    ans = {"total": sum(int(v) for v in files.values()), "missing": missing}
    prompt = (f"Each of these files should hold one integer: {', '.join(names)}. Some do not exist. Read them, and "
              "reply with only JSON {\"total\": <sum of the numbers in the files that exist>, \"missing\": [missing "
              "file names, sorted]}.")
    return spec(prompt, [{"kind": "data", "value": ans}], json.dumps(ans), files=files)


def read_l3(rng):
    n = 12000
    target = rng.randint(n // 3, n - 10)
    secret = hashlib.sha256(f"{rng.random()}".encode()).hexdigest()[:12]
    marker_lines = sorted(rng.sample(range(1, n + 1), rng.randint(3, 9)))
    lines = []
    for i in range(1, n + 1):
        val = secret if i == target else f"{(i * 7919) % 100003:06d}"
        tag = " MARKER" if i in marker_lines else ""
        lines.append(f"row {i:05d} value={val}{tag}")
    ans = {"value": secret, "markers": len(marker_lines)}
    prompt = (f"`big.log` has {n} lines (~{n * 26 // 1024} KB) - read it in pieces. Reply with only JSON "
              f"{{\"value\": <the value= field on line {target}>, \"markers\": <number of lines containing MARKER>}}.")
    return spec(prompt, [{"kind": "data", "value": ans}], json.dumps(ans), files={"big.log": "\n".join(lines) + "\n"})


# ----------------------------------------------------------------- file.write
def write_l1(rng):
    name = f"out/{rng.choice(WORDS)}.txt"
    content = "\n".join(f"{rng.choice(WORDS)} {rng.randint(1, 99)}" for _ in range(rng.randint(3, 8)))
    prompt = f"Create the file `{name}` with exactly this content (under 1 KB):\n```\n{content}\n```"
    return spec(prompt, [{"kind": "text", "source": f"file:{name}", "value": content, "unfence": False, "case": True}],
                "done", {name: content + "\n"})


def write_l2(rng):
    n = rng.randint(120, 300)
    k = rng.randint(2, 9)
    lines = ["n,times_k,square"] + [f"{i},{i * k},{i * i}" for i in range(1, n + 1)]
    content = "\n".join(lines) + "\n"
    prompt = (f"Write `table.csv` (1-10 KB): header `n,times_k,square`, then one row for every n from 1 to {n} "
              f"with n*{k} and n*n.")
    return spec(prompt, [{"kind": "text", "source": "file:table.csv", "value": content, "unfence": False},
                         {"kind": "rules", "source": "file:table.csv", "rules": [{"rule": "bytes", "min": 1024, "max": 10240}]}],
                "done", {"table.csv": content})


def write_l3(rng):
    words = rng.sample(WORDS, 4)
    first = " ".join(words)
    second = " ".join(reversed(words)).upper()
    third = str(len(first) + len(second))
    ref = {"step1.txt": first + "\n", "step2.txt": second + "\n", "step3.txt": third + "\n"}
    ref["index.json"] = json.dumps({k: len(v.encode()) for k, v in ref.items()})
    prompt = (f"Write these files in sequence: (1) `step1.txt` containing `{first}`; (2) `step2.txt` containing the "
              "words of step1.txt in reverse order, upper-cased; (3) `step3.txt` containing the number of characters of "
              "the step1 text plus those of the step2 text (without newlines); (4) `index.json` mapping each of the three "
              "file names to its size in bytes.")
    checks = [{"kind": "text", "source": f"file:{k}", "value": v, "unfence": False, "case": True}
              for k, v in list(ref.items())[:3]]
    checks.append({"kind": "file_sizes", "path": "index.json", "files": ["step1.txt", "step2.txt", "step3.txt"]})
    return spec(prompt, checks, "done", ref)


# ----------------------------------------------------------------- exec
def _probe(salt):
    return hashlib.sha256(salt.encode()).hexdigest()[:10]


def exec_l1(rng):
    salt = f"{rng.random()}"
    script = f"import hashlib\nprint(hashlib.sha256({salt!r}.encode()).hexdigest()[:10])\n"
    token = _probe(salt)
    return spec("Run `python3 probe.py` in the working directory and reply with only the token it prints.",
                [{"kind": "text", "value": token, "strip_punct": True}], token, files={"probe.py": script})


def exec_l2(rng):
    word = rng.choice(WORDS)
    text = "\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))) for _ in range(30)) + "\n"
    count = sum(1 for line in text.splitlines() if word in line.split())
    script = f"print(sum(1 for line in open('corpus.txt') if {word!r} in line.split()))\n"
    prompt = (f"Write a Python script `count_lines.py` that prints how many lines of `corpus.txt` contain the word "
              f"`{word}`; run it and save its output to `count.txt`.")
    checks = [{"kind": "program", "lang": "python", "source": "file:count_lines.py",
               "cases": [{"files": {"corpus.txt": text}, "stdout": str(count)}]},
              {"kind": "number", "source": "file:count.txt", "value": count}]
    return spec(prompt, checks, "done", {"count_lines.py": script, "count.txt": f"{count}\n"}, files={"corpus.txt": text})


def exec_l3(rng):
    key = f"{rng.choice(WORDS)}{rng.randint(100, 999)}"
    final = _probe(key + "final")
    step1 = f"print({key!r})\n"
    step2 = ("import hashlib, sys\nkey = sys.argv[1]\n"
             f"if key != {key!r}:\n    sys.exit('wrong key')\nprint('stage/' + hashlib.sha256(key.encode()).hexdigest()[:8] + '.txt')\n")
    step3 = ("import hashlib, os, sys\npath = sys.argv[1]\nkey = open('key.txt').read().strip()\n"
             "expect = 'stage/' + hashlib.sha256(key.encode()).hexdigest()[:8] + '.txt'\n"
             "if path != expect:\n    sys.exit('wrong path')\nos.makedirs('stage', exist_ok=True)\n"
             "open(path, 'w').write('ok')\n"
             "open('final.txt', 'w').write(hashlib.sha256((key + 'final').encode()).hexdigest()[:10] + '\\n')\n")
    prompt = ("Run `python3 step1.py` and save what it prints to `key.txt`. Then run `python3 step2.py <key>` with that "
              "key; it prints a path. Then run `python3 step3.py <path>`, which writes `final.txt`. Reply with the "
              "content of final.txt.")
    path = "stage/" + hashlib.sha256(key.encode()).hexdigest()[:8] + ".txt"
    checks = [{"kind": "text", "source": "file:final.txt", "value": final, "unfence": False},
              {"kind": "text", "source": "file:key.txt", "value": key, "unfence": False, "case": True},
              {"kind": "text", "value": final, "strip_punct": True}]
    return spec(prompt, checks, final, {"key.txt": key + "\n", path: "ok", "final.txt": final + "\n"},
                files={"step1.py": step1, "step2.py": step2, "step3.py": step3})


# ----------------------------------------------------------------- call.format
def _format_spec(rng, prompt, call):
    cmd = "python3 tool.py " + call["tool"] + " " + " ".join(
        f"--{k} {shlex.quote(v if isinstance(v, str) else json.dumps(v))}" for k, v in call["args"].items())
    return spec(prompt + " Use the sandbox tool: `python3 tool.py <name> --<arg> <value> ...` (values starting with "
                "[ or { are parsed as JSON).", [{"kind": "calls", "calls": [call], "exact": True}],
                cmd, {"calls.jsonl": _log(call)}, files={"tool.py": TOOL_PY})


def format_l1(rng):
    to, text = rng.choice(["ana", "bo", "chen"]), f"{rng.choice(WORDS)} meeting at {rng.randint(1, 12)}pm"
    call = {"tool": "send_message", "args": {"to": to, "text": text}}
    return _format_spec(rng, f"Call the tool `send_message` once with to=`{to}` and text=`{text}`.", call)


def format_l2(rng):
    tags = rng.sample(WORDS, 3)
    opts = {"limit": rng.randint(1, 50), "sort": rng.choice(["asc", "desc"])}
    call = {"tool": "search", "args": {"tags": tags, "options": opts}}
    return _format_spec(rng, f"Call the tool `search` once with `tags` = the JSON array {json.dumps(tags)} and "
                        f"`options` = the JSON object {json.dumps(opts)}.", call)


def format_l3(rng):
    name = rng.choice(WORDS)
    payload = {"title": f"{name} \"quoted\" & <tagged>", "meta": {"path": "C:\\temp\\" + name, "cost": "$5 'each'",
               "lines": ["first\nsecond", "tab\there"], "nested": {"emoji": "caf\u00e9 \u2713", "n": rng.randint(1, 99)}}}
    call = {"tool": "create_doc", "args": {"payload": payload}}
    return _format_spec(rng, "Call the tool `create_doc` once with `payload` = this JSON object (keep every character, "
                        f"including quotes, backslashes, newlines and tabs):\n```json\n{json.dumps(payload, ensure_ascii=False, indent=2)}\n```", call)


# ----------------------------------------------------------------- call.batch
def batch_l1(rng):
    table = {w: rng.randint(10, 999) for w in rng.sample(WORDS, 6)}
    keys = rng.sample(sorted(table), 2)
    ans = [table[k] for k in keys]
    calls = [{"tool": "lookup", "args": {"key": k}} for k in keys]
    prompt = (f"Make two independent calls `python3 lookup.py {keys[0]}` and `python3 lookup.py {keys[1]}` (in one turn "
              "if you can) and reply with only a JSON array of the two values, in that order.")
    return spec(prompt, [{"kind": "data", "value": ans}, {"kind": "calls", "calls": calls}], json.dumps(ans),
                {"calls.jsonl": _log(*calls)}, files={"lookup.py": _lookup_py("lookup", table)})


def batch_l2(rng):
    table = {w: rng.randint(10, 999) for w in WORDS}
    keys = rng.sample(sorted(table), 5)
    calls = [{"tool": "lookup", "args": {"key": k}} for k in keys]
    total = sum(table[k] for k in keys)
    prompt = (f"Call `python3 lookup.py KEY` for each of these 5 keys: {', '.join(keys)}, then reply with only the sum "
              "of the five values.")
    return spec(prompt, [{"kind": "number", "value": total}, {"kind": "calls", "calls": calls}], str(total),
                {"calls.jsonl": _log(*calls)}, files={"lookup.py": _lookup_py("lookup", table)})


def batch_l3(rng):
    skus = [f"SKU-{rng.randint(100, 999)}-{i}" for i in range(5)]
    inv = {s: rng.randint(0, 40) for s in skus}
    ledger = dict(inv)
    for s in rng.sample(skus, rng.randint(1, 3)):
        ledger[s] += rng.choice([-3, -1, 2, 5])
    bad = sorted(s for s in skus if inv[s] != ledger[s])
    calls = [{"tool": t, "args": {"key": s}} for s in skus for t in ("inventory", "ledger")]
    prompt = (f"For each SKU ({', '.join(skus)}) call both `python3 inventory.py SKU` and `python3 ledger.py SKU`. "
              "Cross-check the two counts and reply with only a JSON array of the SKUs whose counts disagree, sorted.")
    return spec(prompt, [{"kind": "data", "value": bad}, {"kind": "calls", "calls": calls}], json.dumps(bad),
                {"calls.jsonl": _log(*calls)},
                files={"inventory.py": _lookup_py("inventory", inv), "ledger.py": _lookup_py("ledger", ledger)})


# ----------------------------------------------------------------- web (network; nothing is served)
API = "https://api.skvmc.invalid"


def _net(prompt, value, routes, kind="text"):
    check = {"kind": "number", "value": value} if kind == "number" else {"kind": "text", "value": str(value), "strip_punct": True}
    return spec(prompt, [check], str(value), requires_network=True, extra={"routes": routes})


def web_l1(rng):
    item = rng.randint(1, 500)
    price = round(rng.uniform(1, 300), 2)
    routes = {f"/v1/items/{item}": {"id": item, "name": rng.choice(WORDS), "price": price}}
    return _net(f"Send one HTTP GET to {API}/v1/items/{item} and reply with only the `price` field.", price, routes, "number")


def web_l2(rng):
    q, limit = rng.choice(WORDS), rng.randint(2, 5)
    results = [{"id": rng.randint(1, 999), "title": f"{q} {rng.choice(WORDS)}"} for _ in range(limit)]
    routes = {f"/v1/search?q={q}&limit={limit}": {"results": results}}
    return _net(f"GET {API}/v1/search with query parameters q={q} and limit={limit}; reply with only the `title` of "
                "the first result.", results[0]["title"], routes)


def web_l3(rng):
    users = [f"u{rng.randint(10, 99)}{i}" for i in range(rng.randint(3, 5))]
    routes, total = {}, 0
    pages = [users[:2], users[2:]]
    for i, page in enumerate(pages, 1):
        routes[f"/v1/users?page={i}"] = {"users": page, "next": i + 1 if i < len(pages) else None}
    for u in users:
        amounts = [rng.randint(1, 100) for _ in range(rng.randint(0, 3))]
        total += sum(amounts)
        routes[f"/v2/orders?user={u}"] = {"orders": [{"amount": a} for a in amounts]}
    return _net(f"List all users from {API}/v1/users?page=N (follow `next` until it is null), then for each user GET "
                f"{API}/v2/orders?user=<id> and reply with only the sum of all order amounts.", total, routes, "number")


# ----------------------------------------------------------------- browser (network; nothing is served)
SITE = "https://shop.skvmc.invalid"


def _browse(prompt, value, pages):
    return spec(prompt, [{"kind": "text", "value": value, "strip_punct": True}], value,
                requires_network=True, extra={"pages": pages})


def browser_l1(rng):
    title = f"{rng.choice(WORDS).title()} {rng.choice(['Lamp', 'Chair', 'Desk'])}"
    pages = {"/": f"<html><body><h1>{title}</h1><p>In stock</p></body></html>"}
    return _browse(f"Open {SITE}/ in the browser and reply with only the text of the page's main heading.", title, pages)


def browser_l2(rng):
    q = rng.choice(WORDS)
    first = f"{q.title()} {rng.choice(['Mug', 'Poster', 'Scarf'])}"
    pages = {"/": "<form action='/search'><input name='q'><button>Search</button></form>",
             f"/search?q={q}": f"<ol><li>{first}</li><li>{q} other</li></ol>"}
    return _browse(f"On {SITE}/ type `{q}` into the search box, click Search, and reply with only the first result's "
                   "title.", first, pages)


def browser_l3(rng):
    user, pw, n = rng.choice(WORDS), f"pw{rng.randint(1000, 9999)}", rng.randint(1, 9)
    pages = {"/login": "<form method='post'><input name='user'><input name='password' type='password'></form>",
             "/account/orders": "<ul>" + "".join(f"<li>order {i}</li>" for i in range(n)) + "</ul>"}
    return _browse(f"Log in at {SITE}/login as `{user}` with password `{pw}`, open Account > Orders and reply with "
                   "only the number of orders listed.", str(n), {**pages, "credentials": f"{user}:{pw}"})


LEVELS = {
    "tool.file.read": (read_l1, read_l2, read_l3),
    "tool.file.write": (write_l1, write_l2, write_l3),
    "tool.exec": (exec_l1, exec_l2, exec_l3),
    "tool.call.format": (format_l1, format_l2, format_l3),
    "tool.call.batch": (batch_l1, batch_l2, batch_l3),
    "tool.web": (web_l1, web_l2, web_l3),
    "tool.browser": (browser_l1, browser_l2, browser_l3),
}
