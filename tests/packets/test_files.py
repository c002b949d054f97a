"""``dvcgw validate``'s checks of packet files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.packets import DossierPacket, SchemaSet
from gateway.packets.files import check_file, xml_document
from gateway.packets.render import to_json, to_json_bytes, to_xml_bytes


def test_a_valid_json_packet_file_passes(
    tmp_path: Path, schemas: SchemaSet, make_packet: Callable[..., DossierPacket]
) -> None:
    file = tmp_path / "p.json"
    file.write_bytes(to_json_bytes(make_packet()))
    assert check_file(file, schemas) == []


def test_a_valid_xml_packet_file_passes(
    tmp_path: Path, schemas: SchemaSet, make_packet: Callable[..., DossierPacket]
) -> None:
    file = tmp_path / "p.xml"
    file.write_bytes(to_xml_bytes(make_packet()))
    assert check_file(file, schemas) == []


def test_a_json_array_of_packets_is_checked_packet_by_packet(
    tmp_path: Path, schemas: SchemaSet, make_packet: Callable[..., DossierPacket]
) -> None:
    bad = to_json(make_packet())
    bad["HoSo"]["TrangThaiHoSo"] = "11"
    file = tmp_path / "list.json"
    file.write_text(json.dumps([to_json(make_packet()), bad]), encoding="utf-8")
    [problem] = check_file(file, schemas)
    assert "packet 1" in problem
    assert "TrangThaiHoSo" in problem


def test_an_xml_list_of_packets_passes(
    tmp_path: Path, schemas: SchemaSet, make_packet: Callable[..., DossierPacket]
) -> None:
    from lxml import etree

    file = tmp_path / "list.xml"
    file.write_bytes(etree.tostring(xml_document([make_packet(), make_packet(TrangThaiHoSo="9")], schemas)))
    assert check_file(file, schemas) == []


def test_a_content_hash_that_does_not_match_the_content_is_reported(
    tmp_path: Path, schemas: SchemaSet, make_packet: Callable[..., DossierPacket]
) -> None:
    document = to_json(make_packet())
    document["HoSo"]["ChuHoSo"] = "Someone Else"
    file = tmp_path / "tampered.json"
    file.write_text(json.dumps(document), encoding="utf-8")
    [problem] = check_file(file, schemas)
    assert "ContentHash" in problem


def test_an_xml_packet_with_an_entity_is_refused(tmp_path: Path, schemas: SchemaSet) -> None:
    file = tmp_path / "bomb.xml"
    file.write_text('<!DOCTYPE a [<!ENTITY x "xx">]><GoiHoSo>&x;</GoiHoSo>', encoding="utf-8")
    [problem] = check_file(file, schemas)
    assert "DOCTYPE" in problem


def test_json_with_nan_is_refused(tmp_path: Path, schemas: SchemaSet) -> None:
    file = tmp_path / "nan.json"
    file.write_text('{"Meta": NaN}', encoding="utf-8")
    [problem] = check_file(file, schemas)
    assert "NaN" in problem


@pytest.mark.parametrize(
    ("value", "code"),
    [("\ud800", "U+D800"), ("Lê\u0008", "U+0008"), ("\x00", "U+0000"), ("\uffff", "U+FFFF")],
)
def test_a_packet_holding_a_character_xml_cannot_carry_is_reported_not_a_crash(
    tmp_path: Path, schemas: SchemaSet, make_packet: Callable[..., DossierPacket], value: str, code: str
) -> None:
    packet = to_json(make_packet())
    packet["QuaTrinhXuLy"][0]["NguoiXuLy"] = value
    file = tmp_path / "p.json"
    file.write_text(json.dumps(packet), encoding="utf-8")  # escaped: \ud800, \u0008
    assert check_file(file, schemas) == [
        f"{file}: $.QuaTrinhXuLy[0].NguoiXuLy: {code} is a control character or an unpaired surrogate, "
        "which no packet can carry"
    ]
