"""A tiny PNG writer (zlib + struct) and a grouped bar chart, for when matplotlib is absent."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

PALETTE = [(66, 133, 244), (219, 68, 55), (244, 180, 0), (15, 157, 88), (171, 71, 188),
           (0, 172, 193)]


def write_png(path: str | Path, pixels: list[list[tuple[int, int, int]]]) -> None:
    """Write rows of RGB tuples as an 8-bit truecolour PNG."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    Path(path).write_bytes(png)


def bar_panels(panels: list[list[float]], width: int = 640, height: int = 360) -> list[list]:
    """Side-by-side panels, one bar per value (scaled to the panel's max), colours in
    PALETTE order; a grey axis line under each panel."""
    img = [[(255, 255, 255)] * width for _ in range(height)]
    margin, top, bottom = 20, 20, height - 30
    pw = (width - margin * (len(panels) + 1)) // max(1, len(panels))
    for pi, values in enumerate(panels):
        x0 = margin + pi * (pw + margin)
        for x in range(x0, x0 + pw):
            img[bottom][x] = (120, 120, 120)
        peak = max([v for v in values if v is not None] + [1e-9])
        n = max(1, len(values))
        bw = max(2, pw // (2 * n))
        for i, v in enumerate(values):
            if v is None:
                continue
            h = int((bottom - top) * (v / peak)) if peak > 0 else 0
            bx = x0 + int((i + 0.5) * pw / n) - bw // 2
            for y in range(bottom - h, bottom):
                row = img[y]
                for x in range(bx, bx + bw):
                    row[x] = PALETTE[i % len(PALETTE)]
    return img
