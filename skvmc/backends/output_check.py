"""CHECK.OUTPUTS inside a harness: a pi extension that asks once more for outputs not written.

Inside a harness a weak model often has the value in hand and ends without writing the file
the task asks for. The 1.5B did this in both failed compiled runs in opencode
(bench/results/harness-opencode). In the VM, CHECK.OUTPUTS catches exactly that. pi runs project
extensions from ``.pi/extensions/*.ts`` (docs/extensions.md of pi-coding-agent). So where the
binding route writes the context file and ``--harness-output-check`` is given, the pi layout
also gets this one. It is off by default. In pi with the 1.5B
(bench/results/harness-pi-output-check) its follow-up reached the model in 3 of 6 runs, and
none of the 3 then wrote the file. It keeps the user's prompt, and on a turn without tool
calls it compares the files the prompt asks to write (``vm/task_outputs.py``: the same word
lists and patterns, filled in from there) with the workdir. When some are missing, it queues
one follow-up user message naming them. That happens at most ``NUDGES`` times per prompt,
and the extension does nothing else: no file writes, no commands.
"""

from __future__ import annotations

import json

PATH = {"pi": ".pi/extensions/skvmc-outputs.ts"}  # harness -> where it discovers extensions
NUDGES = 1

# Plain JavaScript (valid TypeScript, so pi loads it as .ts, and node can run it in tests).
TEMPLATE = """\
// skvmc: asks once more for task outputs that were not written (see report.json 'binding')
import * as fs from "node:fs";
import * as path from "node:path";

const WRITE = new Set(@WRITE@);
const READ = new Set(@READ@);
const EDIT = new Set(@EDIT@);
const TOKEN = new RegExp(@TOKEN@, "g");
const SENTENCE = new RegExp(@SENTENCE@);
const NUDGES = @NUDGES@;

// skvmc/vm/task_outputs.py task_outputs: a file whose nearest verb before it is a writing verb
export function taskOutputs(task) {
  const found = [];
  for (const sentence of String(task || "").split(SENTENCE)) {
    let verb = null;
    for (const m of sentence.matchAll(TOKEN)) {
      const word = m.groups.word;
      if (word !== undefined) {
        const w = word.toLowerCase();
        if (WRITE.has(w)) verb = "write";
        else if (READ.has(w)) verb = "read";
        else if (EDIT.has(w)) verb = "edit";
        continue;
      }
      const file = m.groups.code || m.groups.bare;  // not an extensionless path: unknown
      if (file && verb === "write" && !found.includes(file)) found.push(file);
    }
  }
  return found;
}

export default function (pi) {
  let task = "";
  let nudged = 0;
  pi.on("input", async (event) => {
    if (event.source !== "extension") {
      task = String(event.text || "");
      nudged = 0;
    }
    return { action: "continue" };
  });
  pi.on("turn_end", async (event, ctx) => {
    const parts = (event.message && event.message.content) || [];
    if (nudged >= NUDGES || parts.some((p) => p.type === "toolCall")) return;
    const missing = taskOutputs(task).filter((f) => {
      try {
        return !fs.existsSync(path.resolve(ctx.cwd, f));
      } catch (e) {
        return false;
      }
    });
    if (!missing.length) return;
    nudged += 1;
    const one = missing.length === 1;
    pi.sendUserMessage(`The task asks for ${missing.join(", ")}, which ${one ? "was" : "were"} ` +
      `not written. Write ${one ? "it" : "them"} now, from what you found above.`,
      { deliverAs: "followUp" });
  });
}
"""


def _js_pattern(pattern: str) -> str:
    # Python's named groups (?P<name>...) are (?<name>...) in JavaScript; the rest of these
    # patterns (classes, look-arounds, quantifiers) reads the same in both
    return json.dumps(pattern.replace("(?P<", "(?<"))


def extension_text() -> str:
    from skvmc.vm import task_outputs as outputs  # the VM package: only when asked for

    return (TEMPLATE.replace("@WRITE@", json.dumps(sorted(outputs._WRITE)))
            .replace("@READ@", json.dumps(sorted(outputs._READ)))
            .replace("@EDIT@", json.dumps(sorted(outputs._EDIT)))
            .replace("@TOKEN@", _js_pattern(outputs._TOKEN.pattern))
            .replace("@SENTENCE@", _js_pattern(outputs._SENTENCE.pattern))
            .replace("@NUDGES@", str(NUDGES)))


def files_for(harness) -> dict[str, bytes]:
    """The output-check files this harness gets (none where it has no extension point)."""
    where = PATH.get(harness.name)
    return {where: extension_text().encode("utf-8")} if where else {}
