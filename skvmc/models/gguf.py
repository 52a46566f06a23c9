"""A small reader for the key/value header of a GGUF file (no dependency beyond the stdlib).

GGUF (llama.cpp's weight format) starts with::

    magic "GGUF" | version u32 | tensor_count u64 | kv_count u64 | kv_count x (key, type, value)

where a key is a GGUF string (u64 length + UTF-8 bytes) and a value is one of 13 types
(arrays hold a type and a u64 count). Versions 2 and 3 use 64-bit counts; version 1 (long
obsolete) used 32-bit ones and is read too. Only the header is read, never the tensors.
"""

from __future__ import annotations

import struct
from pathlib import Path

MAGIC = b"GGUF"

# value type -> struct format of a scalar (little-endian)
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


class GGUFError(ValueError):
    """The file is not a GGUF file or its header is truncated or malformed."""


class _Reader:
    def __init__(self, f, path: str, count_fmt: str):
        self.f = f
        self.path = path
        self.count_fmt = count_fmt  # "<Q" for GGUF v2/v3, "<I" for v1

    def read(self, n: int) -> bytes:
        data = self.f.read(n)
        if len(data) != n:
            raise GGUFError(f"{self.path}: truncated GGUF header")
        return data

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def count(self) -> int:
        return self.unpack(self.count_fmt)

    def string(self) -> str:
        n = self.count()
        if n > 1 << 30:
            raise GGUFError(f"{self.path}: implausible string length {n} in GGUF header")
        return self.read(n).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        self.f.seek(self.count(), 1)

    def value(self, vtype: int, keep: bool):
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype])
        if vtype == _STRING:
            if keep:
                return self.string()
            self.skip_string()
            return None
        if vtype == _ARRAY:
            itype = self.unpack("<I")
            n = self.count()
            if not keep:  # skip without building a list (token tables hold ~150k strings)
                if itype in _SCALARS:
                    self.f.seek(n * struct.calcsize(_SCALARS[itype]), 1)
                else:
                    for _ in range(n):
                        self.value(itype, False)
                return None
            return [self.value(itype, True) for _ in range(n)]
        raise GGUFError(f"{self.path}: unknown GGUF value type {vtype}")


def read_metadata(path: str | Path, keys: set[str] | None = None,
                  keep_arrays: bool = False) -> dict:
    """The header key/values of a GGUF file. ``keys`` limits what is kept (and stops reading
    once all are found); arrays are skipped unless ``keep_arrays``. Also returns the
    ``"GGUF.version"`` and ``"GGUF.tensor_count"`` pseudo keys. Raises GGUFError."""
    path = str(path)
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise GGUFError(f"cannot open {path}: {exc.strerror or exc}") from exc
    with f:
        if f.read(4) != MAGIC:
            raise GGUFError(f"{path}: not a GGUF file (no 'GGUF' magic at the start)")
        r = _Reader(f, path, "<Q")
        version = r.unpack("<I")
        if version not in (1, 2, 3):
            raise GGUFError(f"{path}: unsupported GGUF version {version}")
        if version == 1:
            r.count_fmt = "<I"
        out: dict = {"GGUF.version": version, "GGUF.tensor_count": r.count()}
        kv_count = r.count()
        wanted = set(keys) if keys is not None else None
        for _ in range(kv_count):
            key = r.string()
            vtype = r.unpack("<I")
            keep = (wanted is None or key in wanted) and (vtype != _ARRAY or keep_arrays)
            value = r.value(vtype, keep)
            if keep:
                out[key] = value
                if wanted is not None:
                    wanted.discard(key)
                    if not wanted:
                        break
        return out


def general_name(path: str | Path) -> str | None:
    """The ``general.name`` of a GGUF file (None when the header has none)."""
    return read_metadata(path, {"general.name"}).get("general.name")


def write_minimal(path: str | Path, kv: dict[str, str | int], padding: int = 0) -> None:
    """Write a GGUF v3 file with string/uint32 key/values and no tensors (for tests)."""
    def gstr(s: str) -> bytes:
        b = s.encode()
        return struct.pack("<Q", len(b)) + b

    body = MAGIC + struct.pack("<IQQ", 3, 0, len(kv))
    for k, v in kv.items():
        if isinstance(v, str):
            body += gstr(k) + struct.pack("<I", _STRING) + gstr(v)
        else:
            body += gstr(k) + struct.pack("<II", 4, v)
    Path(path).write_bytes(body + b"\0" * padding)
