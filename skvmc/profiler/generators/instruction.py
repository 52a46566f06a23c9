"""Generators for the instruction-following category: format, constraint, procedure,
delegation and style."""
from __future__ import annotations

import csv
import io
import json

import yaml

from .base import number_words, para, spec

NAMES = ["ana", "bo", "chen", "dara", "eli", "femi", "gus", "hana"]
FRUITS = ["apple", "banana", "cherry", "damson", "elderberry", "fig", "grape", "kiwi", "lemon", "mango"]


# ----------------------------------------------------------------- format
def format_l1(rng):
    people = [{"name": n, "age": rng.randint(18, 80)} for n in rng.sample(NAMES, 3)]
    fmt = rng.choice(["csv", "yaml", "json"])
    desc = "; ".join(f"{p['name']} is {p['age']}" for p in people)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["name", "age"])
        w.writerows([p["name"], p["age"]] for p in people)
        value, ref = [["name", "age"]] + [[p["name"], str(p["age"])] for p in people], buf.getvalue()
        how = "CSV with header `name,age`"
    elif fmt == "yaml":
        value, ref, how = people, yaml.safe_dump(people, sort_keys=False), "a YAML list of mappings with keys name and age"
    else:
        value, ref, how = people, json.dumps(people), "a JSON array of objects with keys name and age"
    return spec(f"Return these people as {how}, in the given order: {desc}. Nothing else.",
                [{"kind": "data", "format": fmt, "value": value}], ref)


def format_l2(rng):
    sku = f"P-{rng.randint(1000, 9999)}"
    obj = {"sku": sku, "name": f"{rng.choice(FRUITS)} crate", "price": round(rng.uniform(1, 99), 2),
           "tags": sorted(rng.sample(FRUITS, 2)), "stock": {"warehouse": rng.choice(["north", "south"]), "count": rng.randint(0, 500)}}
    schema = {"type": "object", "additionalProperties": False,
              "required": ["sku", "name", "price", "tags", "stock"],
              "properties": {"sku": {"type": "string", "pattern": "^P-[0-9]{4}$"}, "name": {"type": "string"},
                             "price": {"type": "number"}, "tags": {"type": "array", "items": {"type": "string"}},
                             "stock": {"type": "object", "additionalProperties": False, "required": ["warehouse", "count"],
                                       "properties": {"warehouse": {"type": "string"}, "count": {"type": "integer"}}}}}
    prompt = (f"Return a JSON object valid against this JSON Schema:\n```json\n{json.dumps(schema, indent=1)}\n```\n"
              f"describing product {sku} named \"{obj['name']}\" costing {obj['price']}, tagged {' and '.join(obj['tags'])} "
              f"(alphabetical), with {obj['stock']['count']} units in the {obj['stock']['warehouse']} warehouse.")
    return spec(prompt, [{"kind": "data", "value": obj, "schema": schema}], json.dumps(obj))


def format_l3(rng):
    items = [{"id": rng.randint(1, 99) * 10 + i, "label": rng.choice(FRUITS)} for i in range(rng.randint(3, 5))]
    want = [{"id": it["id"], "label": it["label"].upper()} for it in sorted(items, key=lambda x: -x["id"])]
    text = json.dumps(want, separators=(",", ":"))
    prompt = ("Output the records below as a single-line compact JSON array (no spaces, no code fence, no other text), "
              "objects with keys in the order id, label, labels in UPPERCASE, sorted by id descending: "
              + "; ".join(f"id {it['id']} label {it['label']}" for it in items))
    return spec(prompt, [{"kind": "exact", "value": text}], text)


# ----------------------------------------------------------------- constraint
def constraint_l1(rng):
    words = rng.sample(FRUITS, rng.randint(3, 5))
    lines = [w.upper() for w in words]
    return spec(f"List these words one per line: {', '.join(words)}. You MUST write every word in UPPERCASE.",
                [{"kind": "rules", "rules": [{"rule": "lines", "values": lines}]}], "\n".join(lines))


def constraint_l2(rng):
    cities = [("Lyon", "FR"), ("Oslo", "NO"), ("Porto", "PT"), ("Graz", "AT"), ("Nice", "FR"), ("Bergen", "NO"), ("Faro", "PT")]
    chosen = rng.sample(cities, 5)
    banned = rng.choice(sorted({c for _, c in chosen}))
    keep = sorted((c, k) for c, k in chosen if k != banned)
    lines = [f"{i + 1}) {c} - {k}" for i, (c, k) in enumerate(keep)] + ["END"]
    prompt = ("Write the cities below following ALL rules: (1) one line per city as `City - COUNTRY`; (2) MUST sort "
              f"alphabetically by city; (3) MUST NOT include cities in {banned}; (4) MUST number lines as `1) `, `2) `...; "
              "(5) MUST end with a line `END`. Cities: " + ", ".join(f"{c} ({k})" for c, k in chosen))
    return spec(prompt, [{"kind": "rules", "rules": [{"rule": "lines", "values": lines}]}], "\n".join(lines))


def constraint_l3(rng):
    a, b = rng.randint(10, 400), rng.randint(10, 400)
    words = number_words(a + b)
    prompt = (f"What is {a} plus {b}? Rules: reply ONLY with the number spelled out in English words, all lowercase, "
              "with no digits, no punctuation of any kind (no hyphens, no period), no greeting and no explanation.")
    rules = [{"rule": "lowercase"}, {"rule": "no_chars", "chars": list("0123456789.,;:!?-'\"()")},
             {"rule": "regex", "pattern": r"^\s*" + r"\s+".join(words.split()) + r"\s*$"}]
    return spec(prompt, [{"kind": "rules", "rules": rules}], words)


# ----------------------------------------------------------------- procedure
def procedure_l1(rng):
    word = rng.choice(FRUITS) + rng.choice(NAMES)
    suffix = f"-{rng.randint(10, 99)}"
    result = word[::-1].upper() + suffix
    prompt = (f"Follow these steps in order on the text `{word}`: 1. reverse it; 2. convert it to uppercase; "
              f"3. append `{suffix}`. Reply with only the result.")
    return spec(prompt, [{"kind": "text", "value": result, "case": True, "strip_punct": True}], result)


def procedure_l2(rng):
    n = rng.randint(5, 60)
    x = n // 2 if n % 2 == 0 else 3 * n + 1
    x = x - 17 if x > 50 else x + 9
    x = x * len(str(x))
    label = "fizz" if x % 3 == 0 else "buzz" if x % 5 == 0 else "plain"
    if label == "plain" and x % 2 == 0:
        x += 1
    out = f"{label}-{x}"
    prompt = (f"Start with n = {n}. 1. If n is even divide it by 2, otherwise compute 3n+1. 2. If the result is greater "
              "than 50 subtract 17, otherwise add 9. 3. Multiply by its number of decimal digits. 4. If the value is "
              "divisible by 3 the label is fizz; else if divisible by 5 the label is buzz; else the label is plain. "
              "5. If the label is plain and the value is even, add 1. 6. Reply with only `<label>-<value>`.")
    return spec(prompt, [{"kind": "text", "value": out, "strip_punct": True}], out)


def procedure_l3(rng):
    a, c, m, x = rng.randint(2, 9), rng.randint(1, 9), rng.choice([11, 13, 17, 19]), rng.randint(0, 10)
    start = x
    values, seen = [], {x}
    for _ in range(12):
        x = (a * x + c) % m
        values.append(x)
        if x in seen:
            break
        seen.add(x)
    ans = {"steps": len(values), "values": values, "checksum": sum(values) % 97}
    prompt = (f"Loop: start with x = {start}. "
              f"Repeat: x = ({a}*x + {c}) mod {m}; record x; stop as soon as x equals a value seen before (including the "
              "start value) or after 12 iterations. Then verify: recompute the sequence once more and make sure it "
              "matches. Reply with only JSON {\"steps\": <iterations done>, \"values\": [recorded values], "
              "\"checksum\": <sum of recorded values mod 97>}.")
    return spec(prompt, [{"kind": "data", "value": ans}], json.dumps(ans))


# ----------------------------------------------------------------- delegation
def delegation_l1(rng):
    n = rng.randint(50, 500)
    value = sum(i * i for i in range(1, n + 1))
    script = f"print(sum(i * i for i in range(1, {n} + 1)))\n"
    prompt = (f"Write a Python script `solve.py` that prints the sum of the squares of 1..{n}, run it, and write its "
              "output to `result.txt`.")
    checks = [{"kind": "program", "lang": "python", "source": "file:solve.py", "cases": [{"stdout": str(value)}]},
              {"kind": "number", "source": "file:result.txt", "value": value}]
    return spec(prompt, checks, str(value), {"solve.py": script, "result.txt": f"{value}\n"})


def delegation_l2(rng):
    nums = [rng.randint(100, 9999) for _ in range(300)]
    value = 1
    for v in nums:
        value = value * v % 1000003
    script = "v = 1\nfor x in open('nums.txt').read().split():\n    v = v * int(x) % 1000003\nprint(v)\n"
    prompt = ("Prefer writing and running code over computing in your head. `nums.txt` holds 300 integers: reply with "
              "only their product modulo 1000003.")
    return spec(prompt, [{"kind": "number", "value": value}, {"kind": "new_script", "shipped": []}], str(value),
                {"calc.py": script}, files={"nums.txt": "\n".join(map(str, nums)) + "\n"})


def delegation_l3(rng):
    lo = rng.randint(10000, 20000)
    hi = lo + rng.randint(20000, 40000)
    sieve = bytearray([1]) * (hi + 1)
    sieve[0:2] = b"\x00\x00"
    for i in range(2, int(hi ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytearray(len(sieve[i * i::i]))
    value = sum(sieve[lo:hi + 1])
    script = f"print(sum(all(n % d for d in range(2, int(n ** 0.5) + 1)) for n in range({lo}, {hi} + 1)))\n"
    return spec(f"How many prime numbers are there between {lo} and {hi} inclusive? Reply with only the number.",
                [{"kind": "number", "value": value}, {"kind": "new_script", "shipped": []}], str(value), {"primes.py": script})


# ----------------------------------------------------------------- style
CONTRACTIONS = ["I'm", "can't", "won't", "it's", "don't"]


def style_l1(rng):
    name, day = rng.choice(NAMES).title(), rng.choice(["Monday", "Tuesday", "Friday"])
    if rng.random() < 0.5:
        text = (f"Dear {name},\n\nThank you for the invitation. Regrettably, I am unable to attend the meeting on {day}. "
                "I would be glad to arrange another time.\n\nKind regards,\nAlex")
        rules = [{"rule": "starts", "prefixes": ["Dear"]}, {"rule": "no_contractions"}, {"rule": "no_chars", "chars": ["!"]},
                 {"rule": "contains", "words": [name, day]}, {"rule": "absent", "words": ["hey", "gonna", "wanna", "cheers"]},
                 {"rule": "regex", "pattern": r"(sincerely|regards)", "ignorecase": True}]
        prompt = (f"Write a short formal email to {name} declining the meeting on {day}: start with \"Dear\", no "
                  "contractions, no exclamation marks, no slang, end with a formal sign-off (Sincerely or Kind regards).")
    else:
        text = f"Hey {name}! Can't make it on {day}, sorry. Let's find another time, it's no big deal."
        rules = [{"rule": "starts", "prefixes": ["Hi", "Hey"]}, {"rule": "has_contraction"},
                 {"rule": "contains", "words": [name, day]}, {"rule": "absent", "words": ["dear", "sincerely", "regards"]}]
        prompt = (f"Write a short casual message to {name} saying you can't make the meeting on {day}: start with "
                  "\"Hi\" or \"Hey\", use contractions, and no formal phrases like Dear, Sincerely or Regards.")
    return spec(prompt, [{"kind": "rules", "rules": rules}], text)


PERSONAS = {
    "pirate": ["arr", "matey", "ahoy", "ye", "treasure", "ship"],
    "butler": ["sir", "madam", "indeed", "at your service", "certainly", "pleasure"],
    "robot": ["beep", "affirmative", "processing", "unit", "protocol", "compute"],
}


def style_l2(rng):
    persona = rng.choice(sorted(PERSONAS))
    fact = f"the {rng.choice(FRUITS)} order ships on day {rng.randint(2, 28)}"
    marks = PERSONAS[persona]
    text = f"{marks[2].capitalize()}! {marks[0].capitalize()}, {marks[1]}: {fact}. {marks[3].capitalize()}, {marks[4]}."
    prompt = (f"Reply in the persona of a {persona} (use at least three of these markers: {', '.join(marks)}) telling the "
              f"user that {fact}.")
    return spec(prompt, [{"kind": "rules", "rules": [{"rule": "contains", "words": marks, "at_least": 3},
                                                     {"rule": "contains", "words": [fact]}]}], text)


def style_l3(rng):
    persona = rng.choice(sorted(PERSONAS))
    marks = PERSONAS[persona]
    n = rng.randint(6, 8)
    ps = [f"{marks[i % len(marks)].capitalize()}, {para(rng, 55)} {marks[(i + 1) % len(marks)].capitalize()} indeed."
          for i in range(n)]
    rules = [{"rule": "paragraphs", "min": n, "max": n, "min_words": 50}, {"rule": "each_paragraph", "words": marks},
             {"rule": "no_contractions"}, {"rule": "words", "min": 50 * n}]
    prompt = (f"Write {n} paragraphs (each at least 50 words, blank lines between) describing a weekly team routine, "
              f"holding the persona of a {persona} throughout: every paragraph must use at least one of {', '.join(marks)}, "
              "and no contractions anywhere.")
    return spec(prompt, [{"kind": "rules", "rules": rules}], "\n\n".join(ps))


LEVELS = {
    "follow.format": (format_l1, format_l2, format_l3),
    "follow.constraint": (constraint_l1, constraint_l2, constraint_l3),
    "follow.procedure": (procedure_l1, procedure_l2, procedure_l3),
    "follow.delegation": (delegation_l1, delegation_l2, delegation_l3),
    "follow.style": (style_l1, style_l2, style_l3),
}
