"""A record the adapter refuses is still named in its rejection by what could be read of it: its
dossier code (when the mapping's own rule, checks included, reads a clean one) and its vendor id."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.mapping import load_mapping
from gateway.mapping.fixtures import FIXTURE_NOW
from gateway.packets import SchemaSet
from gateway.translate import Rejection, Translator

CODE = "000.00.22.H33-210604-0002"


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    return SchemaSet()


def rejections(name: str, data: bytes, file: str, schemas: SchemaSet) -> list[Rejection]:
    mapping = load_mapping(Path("mappings") / f"{name}.yaml")
    translator = Translator(mapping, schemas, clock=lambda: FIXTURE_NOW)
    return [o for o in translator.translate_bytes(data, file) if isinstance(o, Rejection)]


def test_a_misplaced_xml_record_is_named_by_its_dossier_code(schemas: SchemaSet) -> None:
    record = f"<HoSo><SoHoSo>{CODE}</SoHoSo></HoSo>"
    data = f"<DanhSachHoSo><Lo>{record}</Lo>{record.replace('0002', '0003')}</DanhSachHoSo>".encode()
    (misplaced, *_) = rejections("motcua-xml", data, "export.xml", schemas)
    assert misplaced.ma_ho_so == CODE
    assert "is not a child of the document element" in misplaced.problems[0].reason
    assert CODE in misplaced.lines()[0]


def test_a_json_record_with_a_duplicate_key_is_named_by_its_code_and_id(schemas: SchemaSet) -> None:
    data = f'{{"id": "vnd-7", "code": "{CODE}", "note": "a", "note": "b"}}\n'.encode()
    (refused,) = rejections("igate-json", data, "export.ndjson", schemas)
    assert (refused.ma_ho_so, refused.record_id) == (CODE, "vnd-7")
    assert "(id vnd-7)" in refused.lines()[0]


def test_a_code_that_fails_the_mapping_check_names_nothing(schemas: SchemaSet) -> None:
    data = b'{"id": "vnd-8", "code": "not a code", "note": "a", "note": "b"}\n'
    (refused,) = rejections("igate-json", data, "export.ndjson", schemas)
    assert refused.ma_ho_so is None
    assert refused.record_id == "vnd-8"
