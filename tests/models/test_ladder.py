"""Ladder models: assembly from chunk packages (fake chunks in tmp), the GGUF header reader,
gguf: paths and resolve()."""

import hashlib
import json
from pathlib import Path

import pytest

from skvmc.models import ModelError, ladder, resolve
from skvmc.models.gguf import GGUFError, general_name, read_metadata, write_minimal
from skvmc.models.ladder import Chunk, LadderModel, assemble, gguf_for
from skvmc.models.local import LocalModel, local_gguf

REPO = Path(__file__).resolve().parents[2]


def _fake(tmp_path, name="Fake Model 1B", parts=3, sizes=(40, 1000, 7)):
    """A GGUF file cut in ``parts`` chunks; returns (LadderModel, {package: Chunk})."""
    whole = tmp_path / "whole.gguf"
    write_minimal(whole, {"general.architecture": "llama", "general.name": name}, padding=2000)
    data = whole.read_bytes()
    cuts = [0, sizes[0], sizes[0] + sizes[1], len(data)]
    model = LadderModel(name="fake-1b", package_prefix="fake-part", parts=parts, version="1.0",
                        size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                        general_name=name, context_window=4096)
    chunks = {}
    for i, pkg in enumerate(model.packages):
        piece = data[cuts[i]:cuts[i + 1]]
        p = tmp_path / pkg / "data" / f"part{i + 1:02d}.bin"
        p.parent.mkdir(parents=True)
        p.write_bytes(piece)
        chunks[pkg] = Chunk(pkg, p, len(piece), hashlib.sha256(piece).hexdigest())
    return model, chunks, data


def test_assembles_in_part_order_and_caches(tmp_path):
    model, chunks, data = _fake(tmp_path)
    asked = []

    def locate(pkg):
        asked.append(pkg)
        return chunks[pkg]

    out = gguf_for(model, locate=locate, cache=tmp_path / "cache")
    assert out == tmp_path / "cache" / "fake-1b.gguf"
    assert out.read_bytes() == data
    assert asked == ["fake-part1", "fake-part2", "fake-part3"]
    assert general_name(out) == "Fake Model 1B"
    assert not [p for p in out.parent.iterdir() if p.suffix == ".part"]  # no temp left
    # second call: the stamp says verified, no chunk is looked up again
    asked.clear()
    assert gguf_for(model, locate=locate, cache=tmp_path / "cache") == out
    assert asked == []


def test_missing_chunk_names_packages_and_the_extra(tmp_path):
    model, chunks, _ = _fake(tmp_path)
    with pytest.raises(ModelError) as e:
        gguf_for(model, locate=lambda p: None if p == "fake-part2" else chunks[p],
                 cache=tmp_path / "c")
    assert e.value.kind == "config"
    assert "fake-part2" in e.value.message and "fake-part1" not in e.value.message
    assert "pip install 'skvmc[ladder]'" in e.value.message
    assert "fake-part2==1.0" in e.value.message
    assert not (tmp_path / "c" / "fake-1b.gguf").exists()


def test_chunk_size_mismatch_names_the_package(tmp_path):
    model, chunks, _ = _fake(tmp_path)
    chunks["fake-part2"].path.write_bytes(b"x" * 999)  # truncated chunk, RECORD says 1000
    with pytest.raises(ModelError) as e:
        gguf_for(model, locate=chunks.get, cache=tmp_path / "c")
    assert "fake-part2" in e.value.message and "999 bytes" in e.value.message
    assert "--force-reinstall" in e.value.message
    assert list((tmp_path / "c").iterdir()) == []  # the temp file is removed


def test_chunk_hash_mismatch_names_the_package(tmp_path):
    model, chunks, _ = _fake(tmp_path)
    p = chunks["fake-part3"].path
    p.write_bytes(b"y" * p.stat().st_size)
    with pytest.raises(ModelError) as e:
        gguf_for(model, locate=chunks.get, cache=tmp_path / "c")
    assert "fake-part3" in e.value.message and "SHA-256" in e.value.message


def test_whole_size_and_hash_are_checked_without_records(tmp_path):
    model, chunks, _ = _fake(tmp_path)
    bare = {k: Chunk(c.package, c.path, None, None) for k, c in chunks.items()}
    wrong = LadderModel(**{**_fields(model), "sha256": "0" * 64})
    with pytest.raises(ModelError) as e:
        gguf_for(wrong, locate=bare.get, cache=tmp_path / "c")
    assert "SHA-256" in e.value.message and "fake-part1..3==1.0" in e.value.message
    short = LadderModel(**{**_fields(model), "size": model.size + 1})
    with pytest.raises(ModelError) as e:
        gguf_for(short, locate=bare.get, cache=tmp_path / "c")
    assert f"expected {model.size + 1}" in e.value.message


def test_header_general_name_is_checked(tmp_path):
    model, chunks, _ = _fake(tmp_path)
    other = LadderModel(**{**_fields(model), "general_name": "Another Model"})
    with pytest.raises(ModelError) as e:
        gguf_for(other, locate=chunks.get, cache=tmp_path / "c")
    assert "'Fake Model 1B'" in e.value.message and "'Another Model'" in e.value.message


def test_wrong_chunk_order_fails_the_hash(tmp_path):
    model, chunks, _ = _fake(tmp_path)
    swapped = [chunks["fake-part2"], chunks["fake-part1"], chunks["fake-part3"]]
    with pytest.raises(ModelError):
        assemble(model, swapped, tmp_path / "c" / "x.gguf")


def _fields(model):
    import attrs

    return attrs.asdict(model)


def test_gguf_reader(tmp_path):
    p = tmp_path / "m.gguf"
    write_minimal(p, {"general.name": "Tiny", "tiny.context_length": 512})
    meta = read_metadata(p)
    assert meta["general.name"] == "Tiny" and meta["tiny.context_length"] == 512
    assert meta["GGUF.version"] == 3
    (tmp_path / "bad.gguf").write_bytes(b"GGML....")
    with pytest.raises(GGUFError, match="not a GGUF file"):
        read_metadata(tmp_path / "bad.gguf")
    (tmp_path / "cut.gguf").write_bytes(p.read_bytes()[:30])
    with pytest.raises(GGUFError, match="truncated"):
        read_metadata(tmp_path / "cut.gguf")


def test_gguf_reader_on_the_embedded_model():
    from skvmc.models.local import gguf_path

    try:
        path = gguf_path()
    except ModelError:
        pytest.skip("the 'local' extra is not installed")
    meta = read_metadata(path, {"general.architecture", "tokenizer.chat_template"})
    assert meta["general.architecture"] == "llama"
    assert "<|im_start|>" in meta["tokenizer.chat_template"]


def test_gguf_paths(tmp_path):
    p = tmp_path / "m.gguf"
    write_minimal(p, {"general.name": "Tiny"})
    m = resolve(f"gguf:{p}")
    assert isinstance(m, LocalModel) and m.name == f"gguf:{p}"
    assert m.path == str(p.resolve())
    assert local_gguf(f"gguf:{p}") == str(p.resolve())
    with pytest.raises(ModelError, match="no such file"):
        local_gguf(f"gguf:{tmp_path / 'none.gguf'}")
    (tmp_path / "x.gguf").write_text("not gguf")
    with pytest.raises(ModelError, match="not a GGUF file"):
        local_gguf(f"gguf:{tmp_path / 'x.gguf'}")
    with pytest.raises(ModelError):
        resolve("gguf:")
    with pytest.raises(ModelError, match="in-process"):
        resolve(f"gguf:{p}", api_base="http://127.0.0.1:1/v1")


def test_gguf_request_carries_the_path(tmp_path):
    p = tmp_path / "m.gguf"
    write_minimal(p, {"general.name": "Tiny"})
    m = resolve(f"gguf:{p}")
    kw = m._request([{"role": "user", "content": "hi"}], None, 8, 0.0)
    assert kw["model"] == "skvmc-local/gguf" and kw["gguf_path"] == str(p.resolve())


def test_resolve_ladder_names():
    for s in ("qwen2.5-coder-0.5b", "qwen-coder-0.5b", "skvmc-local/qwen2.5-coder-0.5b"):
        m = resolve(s)
        assert isinstance(m, LocalModel) and m.name == "qwen2.5-coder-0.5b"
    assert resolve("qwen2.5-coder-1.5b").name == "qwen2.5-coder-1.5b"
    assert not isinstance(resolve("ollama/qwen2.5-coder-0.5b"), LocalModel)


def test_descriptors_match_the_ladder():
    for m in ladder.LADDER.values():
        data = json.loads((REPO / "targets" / "models" / f"{m.name}.json").read_text())
        assert data["alias"] == m.name and data["litellm"] == f"skvmc-local/{m.name}"
        assert data["contextWindow"] == m.context_window
        assert set(m.aliases) <= set(data["aliases"])


def test_extra_lists_every_chunk_package():
    import tomllib

    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["ladder"]
    want = {r for m in ladder.LADDER.values() for r in m.requirements}
    assert want <= set(extra)


def test_cache_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.delenv("SKVMC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert ladder.cache_dir() == tmp_path / "skvmc" / "models"
    monkeypatch.setenv("SKVMC_CACHE_DIR", str(tmp_path / "x"))
    assert ladder.cache_dir() == tmp_path / "x" / "models"


def test_installed_chunk_absent_package():
    assert ladder.installed_chunk("skvmc-no-such-chunk-part1") is None
