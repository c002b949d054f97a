"""The simulator's own reading of the contract: record shapes from schemas/, completion, XML."""

from __future__ import annotations

import shutil

import pytest
from lxml import etree

from gateway.sim import samples
from gateway.sim.contract import SCHEMA_DIR, Contract, ContractError
from gateway.sim.records import binding_problems, complete, record_from_xml, record_to_xml
from tests.sim.expected import EMPTY_DOSSIER, EMPTY_HISTORY_ENTRY, full_dossier

NS = "urn:dvc-gateway:dvcqg:1"


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract()


def test_the_record_shapes_come_from_the_schema_files_in_schema_order(contract):
    assert [f.name for f in contract.fields("HoSo")] == list(EMPTY_DOSSIER)
    assert [f.name for f in contract.fields("BuocXuLy")] == list(EMPTY_HISTORY_ENTRY)
    fees = {f.name: f for f in contract.fields("LePhi")}
    assert (fees["Gia"].kind, fees["Gia"].required) == ("integer", True)
    documents = {f.name: f for f in contract.fields("HoSo")}["TaiLieuNop"]
    assert (documents.kind, documents.repeated, documents.type_name) == ("record", True, "TaiLieu")


def test_completion_fills_every_missing_field_with_its_empty_value(contract):
    assert complete({}, "HoSo", contract) == EMPTY_DOSSIER
    assert complete({}, "BuocXuLy", contract) == EMPTY_HISTORY_ENTRY
    assert complete(samples.dossier(1), "HoSo", contract) == full_dossier(samples.dossier(1))


def test_completion_reaches_into_repeated_records(contract):
    record = {"DanhSachTepDinhKemKhac": [{"TenGiayTo": "Bản sao", "SoLuong": 2}]}
    [paper] = complete(record, "HoSo", contract)["DanhSachTepDinhKemKhac"]
    assert paper == {"TenGiayTo": "Bản sao", "SoLuong": 2, "LoaiGiayTo": ""}


def test_a_record_reads_back_from_its_xml_form_unchanged(contract):
    record = complete(samples.dossier(7), "HoSo", contract)
    parent = etree.Element(f"{{{NS}}}TraCuuHoSoResponse", nsmap={None: NS})
    element = record_to_xml(parent, "HoSo", record, "HoSo", contract)
    assert contract.xml_violations(element) == []
    # Optional fields with no value are left out of the XML form.
    assert element.find(f"{{{NS}}}Fax") is None
    assert record_from_xml(element, "HoSo", contract) == record


def test_xml_integers_in_any_form_the_xsd_allows_read_as_integers(contract):
    fee = etree.fromstring(
        f'<LePhi xmlns="{NS}"><MaPhiLePhi>LP</MaPhiLePhi><Gia> +075000 </Gia>'
        "<LoaiPhiLePhi>1</LoaiPhiLePhi></LePhi>"
    )
    assert record_from_xml(fee, "LePhi", contract)["Gia"] == 75000


def test_what_xml_cannot_carry_is_named_with_its_path(contract):
    record = samples.dossier(1)
    record["GhiChu"] = "ghi\x01chú"
    record["DanhSachLePhi"][0]["Gia"] = 75000.0
    problems = {str(p) for p in binding_problems(record, "HoSo", contract)}
    assert problems == {
        "$.GhiChu: holds U+0001, a character XML cannot carry (the SOAP form must carry the same data)",
        "$.DanhSachLePhi[0].Gia: 75000.0 is not an integer: write it without a fraction or exponent",
    }
    assert binding_problems(samples.dossier(1), "HoSo", contract) == []


def test_contract_files_that_disagree_stop_the_simulator_naming_the_type(tmp_path):
    for name in ("dvcqg.schema.json", "dvcqg.xsd", "dvcqg.wsdl"):
        shutil.copy(SCHEMA_DIR / name, tmp_path / name)
    xsd = tmp_path / "dvcqg.xsd"
    xsd.write_text(
        xsd.read_text(encoding="utf-8").replace('<xs:element name="Fax" type="Van50" minOccurs="0"/>', ""),
        encoding="utf-8",
    )
    with pytest.raises(ContractError, match="disagree on record type HoSo"):
        Contract(tmp_path)
