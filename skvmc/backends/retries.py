"""How many times the VM asks a model again after a step's attempt failed.

A failed attempt (the agent loop gave up, or a check after it failed: an output not written, a
schema not matched) is retried once by default, with the failure as feedback. A retry costs a
second agent loop: on the 0.5B rung it roughly doubled a failing run's tokens. It pays only
when the model turns the feedback into a pass, and that is a property of the model, which its
capability profile does not measure. So the budget comes from a measurement of this model in
this harness (``targets/retries/MODEL--HARNESS.json``, written by ``bench/retry_evidence.py``
from the traces of a compiled bench run):

- no measurement, or fewer than ``MIN_RETRIED`` retried runs: **1 retry** (as before; unknown
  keeps what is there);
- a measurement where at least one retried run passed: **1 retry**;
- a measurement where no retried run passed, over at least ``MIN_RETRIED`` of them: **0**.
  The checks still run; a failing one ends the step with its message instead of asking again.

The choice and its evidence go in the program's META and report.json.
"""

from __future__ import annotations

import attrs

from skvmc.targets.jsonload import measurement_for

DEFAULT = 1
MIN_RETRIED = 8  # fewer retried runs than this decide nothing


@attrs.frozen
class RetryBudget:
    retries: int
    reason: str

    def to_json(self) -> dict:
        return {"retries": self.retries, "reason": self.reason}


def measurement(target) -> dict | None:
    """The shipped retry measurement of this target's model in its harness."""
    if target is None:
        return None
    return measurement_for("retries", "retries", target.model, target.harness)


def choose(target=None) -> RetryBudget:
    rec = measurement(target)
    if rec is None:
        return RetryBudget(DEFAULT, "no retry measurement for this target: one retry per step "
                                    "(unknown keeps the default)")
    seen = (f"{rec['passedAfterRetry']} of {rec['retried']} retried runs passed, retries "
            f"cost {rec['retryTokens']} of {rec['tokens']} tokens ({rec['source']})")
    if rec["retried"] < MIN_RETRIED:
        return RetryBudget(DEFAULT, f"too few retried runs to change the default: {seen}")
    if rec["passedAfterRetry"] > 0:
        return RetryBudget(DEFAULT, f"retries turned failures into passes: {seen}")
    return RetryBudget(0, f"no retry turned a failure into a pass: {seen}; a failed check "
                          "ends the step with its message")
