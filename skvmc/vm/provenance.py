"""Where the numbers in an output came from: a number the model typed into an output file
that no command printed, no file it read holds and the task does not give is a guess.

Weak models write a plausible number instead of computing it (the 1.5B wrote `123.45` as an
invoice total it never computed, and `2.00` for another). The agent loop records what the
model saw (command output, files read) and what it typed into files (``write`` actions);
CHECK.OUTPUTS asks for code when a small output still holds exactly what the model typed and
a number in it is explained by nothing it saw. A file written by code is never judged: its
numbers came from the code. Rounding counts as explained (``16.1234`` printed, ``16.12``
written).
"""

from __future__ import annotations

import re
import threading

NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
SMALL_OUTPUT = 2000  # characters: a value, a list or a short report; longer files are not judged
SEEN_CAP = 1 << 20  # characters of observations kept per run
PRINTED_VALUE = 80  # characters: a one-line stdout this short is a value (a count, a total)


def _numbers(text: str) -> list[str]:
    return NUMBER.findall(text or "")


def _explains(seen: list[float], written: str) -> bool:
    """``written`` equals a number of ``seen`` up to the decimals ``written`` shows."""
    places = len(written.partition(".")[2])
    value = float(written)
    half = 0.5 * 10 ** -places + 1e-9
    return any(abs(s - value) <= half for s in seen)


class Provenance:
    """What one run's model saw and typed; shared by the run's agent loops (thread-safe)."""

    def __init__(self):
        self._seen: list[str] = []
        self._size = 0
        self._typed: dict[str, str] = {}
        self._printed: str | None = None
        self._lock = threading.Lock()

    def saw(self, text: str) -> None:
        with self._lock:
            if self._size < SEEN_CAP:
                chunk = str(text)[:SEEN_CAP - self._size]
                self._seen.append(chunk)
                self._size += len(chunk)

    def ran(self, exit_code: int, stdout: str) -> None:
        """A command finished: a successful one whose whole stdout is one short line is the
        value it printed; one that printed more replaces it with nothing (not a value)."""
        out = (stdout or "").strip()
        if exit_code != 0 or not out:
            return
        with self._lock:
            self._printed = out if len(out) <= PRINTED_VALUE and "\n" not in out else None

    def printed(self) -> str | None:
        """The one-line value the last successful command with output printed, if any."""
        with self._lock:
            return self._printed

    def typed(self, path: str, content: str) -> None:
        with self._lock:
            self._typed[path] = content

    def guessed(self, path: str, content: str, given: str) -> list[str]:
        """The numbers in output ``path`` (now holding ``content``) that the model typed and
        nothing explains; ``given`` is what the run was told (task, facts)."""
        with self._lock:
            typed = self._typed.get(path)
            seen = "\n".join(self._seen)
        if typed is None or typed != content or len(content) > SMALL_OUTPUT:
            return []
        known = [float(n) for n in _numbers(seen + "\n" + given)]  # parsed once per output
        return [n for n in _numbers(content) if not _explains(known, n)]
