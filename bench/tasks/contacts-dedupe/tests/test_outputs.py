"""Grader for task contacts-dedupe. Reads outputs from $SKVMC_WORKDIR (or the current directory)."""
import os
from pathlib import Path

import pytest

WORKDIR = Path(os.environ.get("SKVMC_WORKDIR") or os.getcwd())


def out(name):
    path = WORKDIR / name
    if not path.is_file():
        pytest.fail(f"missing output file {name}")
    return path

import csv

EXPECTED = [
 {
  "name": "Jun Patel",
  "email": "jun.patel@example.com",
  "phone": "+12125551322",
  "company": "",
  "city": ""
 },
 {
  "name": "Umar Sheikh",
  "email": "",
  "phone": "+12125556768",
  "company": "",
  "city": "Denver"
 },
 {
  "name": "Wen Zhou",
  "email": "",
  "phone": "+13125554150",
  "company": "Globex",
  "city": "Lagos"
 },
 {
  "name": "Tara Walsh",
  "email": "tara.walsh@example.com",
  "phone": "+13125556241",
  "company": "",
  "city": ""
 },
 {
  "name": "Lena Fischer",
  "email": "lena.fischer@example.com",
  "phone": "+13125553394",
  "company": "Stark Logistics",
  "city": "Oslo"
 },
 {
  "name": "Ana Silva",
  "email": "ana.silva@mail.example.net",
  "phone": "+12125556948",
  "company": "Initech",
  "city": "Oslo"
 },
 {
  "name": "Quinn Byrne",
  "email": "quinn.byrne@mail.example.net",
  "phone": "+14155553060",
  "company": "Initech",
  "city": ""
 },
 {
  "name": "Front Desk Guest",
  "email": "",
  "phone": "",
  "company": "",
  "city": "Austin"
 },
 {
  "name": "Sven Larsen",
  "email": "",
  "phone": "+12125551175",
  "company": "Globex",
  "city": ""
 },
 {
  "name": "Dara Kowalski",
  "email": "dara.kowalski@example.com",
  "phone": "+13125551234",
  "company": "Globex",
  "city": "Denver"
 },
 {
  "name": "Chen Wei",
  "email": "chen.wei@example.com",
  "phone": "+15035553967",
  "company": "",
  "city": "Osaka"
 },
 {
  "name": "Eli Haddad",
  "email": "",
  "phone": "+14155557257",
  "company": "",
  "city": ""
 },
 {
  "name": "Hana Berg",
  "email": "hana.berg@mail.example.net",
  "phone": "+14155557524",
  "company": "Initech",
  "city": "Oslo"
 },
 {
  "name": "Zoe Martin",
  "email": "zoe.martin@example.org",
  "phone": "+14155554818",
  "company": "",
  "city": "Austin"
 },
 {
  "name": "Vera Novak",
  "email": "",
  "phone": "+15035550333",
  "company": "",
  "city": "Osaka"
 },
 {
  "name": "Goran Tanaka",
  "email": "goran.tanaka@mail.example.net",
  "phone": "+14155556136",
  "company": "",
  "city": ""
 },
 {
  "name": "Omar Farouk",
  "email": "omar.farouk@mail.example.net",
  "phone": "",
  "company": "Stark Logistics",
  "city": ""
 },
 {
  "name": "Rosa Diaz",
  "email": "rosa.diaz@example.org",
  "phone": "",
  "company": "Globex",
  "city": "Lisbon"
 },
 {
  "name": "Ben Okafor",
  "email": "ben.okafor@mail.example.net",
  "phone": "+12125557876",
  "company": "Globex",
  "city": "Osaka"
 },
 {
  "name": "Priya Nair",
  "email": "priya.nair@example.org",
  "phone": "+15035553737",
  "company": "Stark Logistics",
  "city": "Osaka"
 },
 {
  "name": "Fatima Moreau",
  "email": "fatima.moreau@example.org",
  "phone": "+13125557339",
  "company": "Stark Logistics",
  "city": "Oslo"
 },
 {
  "name": "Front Desk Guest",
  "email": "",
  "phone": "",
  "company": "",
  "city": "Austin"
 },
 {
  "name": "Ivo Costa",
  "email": "ivo.costa@example.com",
  "phone": "+13125552575",
  "company": "",
  "city": ""
 },
 {
  "name": "Nia Adeyemi",
  "email": "nia.adeyemi@example.com",
  "phone": "+16465558037",
  "company": "Northwind",
  "city": "Lagos"
 },
 {
  "name": "Mateo Rossi",
  "email": "",
  "phone": "+16465556083",
  "company": "Stark Logistics",
  "city": "Oslo"
 },
 {
  "name": "Kofi Mensah",
  "email": "kofi.mensah@example.org",
  "phone": "+15035551262",
  "company": "",
  "city": ""
 },
 {
  "name": "Yara Haddad",
  "email": "yara.haddad@example.org",
  "phone": "+15035551235",
  "company": "",
  "city": ""
 }
]


def rows():
    with open(out("contacts_clean.csv"), newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["name", "email", "phone", "company", "city"]
        return [{k: (v or "").strip() for k, v in r.items()} for r in reader]


def test_one_row_per_person():
    assert len(rows()) == len(EXPECTED)


def test_normalized_keys_in_first_seen_order():
    got = [(r["email"], r["phone"]) for r in rows()]
    assert got == [(e["email"], e["phone"]) for e in EXPECTED]


def test_names_and_filled_cells():
    assert rows() == EXPECTED
