"""Working rules for a weak model inside a harness: the VM's run-time checks, stated as text.

In the VM a weak model's usual failures are caught while it runs: a value typed into an
output instead of computed (``vm/provenance.py``), an output never written and an error report
given as the answer (``CHECK.OUTPUTS``, ``AgentLoop(refuse_give_up=True)``). The bench measured
those checks on the 1.5B (bench/results/qwen2.5-coder-1.5b). A harness runs none of them, so
where the binding route writes the harness's always-read context file (the model was measured
not to load skills there), the section also gets the same lessons as rules, with the harness's
own tool names. In pi the 1.5B wrote `0.00` as an invoice total four times without reading
the invoice (bench/results/harness-pi). Rules whose tool the harness lacks are left out, and
the rule on computing with code only comes when the skill needs arithmetic, analysis or code.
"""

from __future__ import annotations

from skvmc.passes.results import InferCapabilitiesResult

# A skill needing one of these has values to compute, not to look up.
COMPUTES = ("reason.arithmetic", "reason.analysis", "gen.code.python", "gen.code.shell")


def needs_computing(inp) -> bool:
    inferred = inp.result(InferCapabilitiesResult)
    return bool(inferred) and any(inferred.by_primitive.get(p) for p in COMPUTES)


def working_rules(harness, computes: bool) -> list[str]:
    """The rules as Markdown list items; empty when the harness has no tool they name."""
    tools = harness.tools
    read, write, run = tools.get("read"), tools.get("write"), tools.get("exec")
    rules = []
    if read:
        rules.append(f"Read the files the task names with the `{read}` tool before you "
                     "write anything.")
    if run and computes:
        how = (f"write it with the `{write}` tool and run it with the `{run}` tool "
               "(`python3 script.py`)" if write else f"run it with the `{run}` tool "
               "(`python3 -c '...'`)")
        rules.append(f"Compute every number, count, total or list with a short python3 "
                     f"script: {how}, and use what it prints. Never work a value out "
                     "yourself.")
        rules.append("Let that script write the output file the task asks for.")
    if read:
        rules.append(f"Then read the output file back with the `{read}` tool and check it "
                     "against the task before you finish.")
    if run:
        rules.append("When a command fails, fix the cause and run it again: an error "
                     "message is not a result.")
    return [f"{i}. {rule}" for i, rule in enumerate(rules, 1)]
