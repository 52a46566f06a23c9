"""A JSON data file is listed by its keys, not by its first line ``[``."""

from __future__ import annotations

import json

from skvmc.vm import SandboxHost
from skvmc.vm.interp import describe_files
from skvmc.vm.json_shape import MAX_CHARS, shape

ORDERS = [{"order": "O-1", "customer": "Bo", "status": "paid",
           "items": [{"sku": "S-1", "qty": 2, "price": 1.5}]},
          {"order": "O-2", "customer": "Di", "status": "void", "items": []}]


def test_a_list_of_records_names_the_first_records_keys_and_nested_ones():
    assert shape(json.dumps(ORDERS, indent=2)) == (
        "a list of 2 objects with keys order, customer, status, "
        "items (a list of objects with keys sku, qty, price)")


def test_an_object_names_its_keys_two_levels_deep():
    doc = {"id": 1, "contact": {"email": "e", "deep": {"x": {"y": 1}}}, "tags": ["a"]}
    assert shape(json.dumps(doc)) == (
        "an object with keys id, contact (an object with keys email, deep), tags")


def test_nothing_to_name_is_none():
    for text in ("[]", "{}", "[1, 2]", '"text"', "3", "{not json", "[" * 5000 + "]" * 5000):
        assert shape(text) is None, text


def test_the_line_is_bounded():
    wide = {f"key_{i:03}": {f"inner_{j}": j for j in range(30)} for i in range(40)}
    line = shape(json.dumps(wide))
    assert len(line) <= MAX_CHARS and line.endswith(" ...")
    assert line.startswith("an object with keys key_000 (an object with keys inner_0, ")


def test_the_file_list_shows_json_keys_in_place_of_the_first_line(tmp_path):
    (tmp_path / "orders.json").write_text(json.dumps(ORDERS, indent=2), encoding="utf-8")
    (tmp_path / "broken.json").write_text("[\n  {oops", encoding="utf-8")
    (tmp_path / "sales.csv").write_text("id,amount\n1,2\n", encoding="utf-8")
    text = describe_files(SandboxHost(tmp_path, None, sandbox="process"))
    size = (tmp_path / "orders.json").stat().st_size
    assert (f"- orders.json ({size} bytes; JSON: a list of 2 objects with keys order, "
            "customer, status, items (a list of objects with keys sku, qty, price))") in text
    assert "- broken.json (9 bytes; first line: [)" in text  # not JSON: as before
    assert "- sales.csv (14 bytes; first line: id,amount)" in text


def test_files_of_one_shape_show_it_once(tmp_path):
    (tmp_path / "inv").mkdir()
    for i in (1, 2, 3):
        (tmp_path / "inv" / f"{i}.json").write_text(json.dumps({"id": i, "vendor": "v"}))
    text = describe_files(SandboxHost(tmp_path, None, sandbox="process"))
    assert text.count("an object with keys id, vendor") == 1
    assert "- inv/2.json (24 bytes; JSON: as inv/1.json)" in text
    assert "- inv/3.json (24 bytes; JSON: as inv/1.json)" in text
