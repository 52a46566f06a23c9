"""Building a large output file as one ``bytes`` without holding it twice.

Joining a list of encoded chunks (``b"".join``) needs the chunks and the result at once: two
copies of the file (a 1 MB skill's report.json is 41 MB when it lists 55,000 removed steps).
``io.BytesIO`` grows one buffer in place (realloc) and ``getvalue()`` hands that buffer over
without copying it when nothing else views it, so the peak is the file once.
"""

from __future__ import annotations

import io


class ByteSink:
    """Text appended in pieces, kept as UTF-8 in one growing buffer."""

    __slots__ = ("_buf",)

    def __init__(self):
        self._buf = io.BytesIO()

    def write(self, text: str) -> None:
        self._buf.write(text.encode("utf-8"))

    def getvalue(self) -> bytes:
        """The bytes written so far; the sink is spent (its buffer is the value)."""
        value = self._buf.getvalue()
        self._buf = io.BytesIO()
        return value
