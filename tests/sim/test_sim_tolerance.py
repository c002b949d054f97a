"""The tolerant portal's normalisation: the wire variants become the strict form, the strict form
is left exactly as it is (so the gateway's records hash alike in both modes), nothing else moves."""

from __future__ import annotations

import copy

import pytest

from gateway.packets.model import DossierPacket
from gateway.packets.model import record_hash as gateway_hash
from gateway.sim import samples
from gateway.sim.contract import Contract
from gateway.sim.records import complete, record_hash
from gateway.sim.tolerance import normalise
from tests.conftest import sample_meta


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract()


@pytest.mark.parametrize("n", [1, 2, 40])
def test_a_record_in_the_strict_form_is_left_exactly_as_it_is(contract, n):
    record = complete(samples.dossier(n), "HoSo", contract)
    assert normalise(copy.deepcopy(record), "HoSo", contract) == record


def test_normalising_a_variant_gives_the_record_the_gateway_would_send_and_its_hash(contract):
    strict = samples.dossier(3)
    variant = copy.deepcopy(strict)
    variant["MaTTHC"] = "1.004889.000.00.00.H33"
    variant["TaiLieuNop"][0]["IsDeleted"] = "False"
    variant["DanhSachLePhi"][0]["Gia"] = "75000"
    variant["MaDoiTuong"] = None
    variant["DuocThanhToanTrucTuyen"] = "0"
    stored = complete(normalise(variant, "HoSo", contract), "HoSo", contract)
    assert stored == complete(strict, "HoSo", contract)
    # The gateway completes and hashes with its own code: the portal's MaBam must agree.
    packet = DossierPacket.build(sample_meta(), strict)
    assert record_hash(stored) == gateway_hash(packet.dossier)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("True", "1"), ("false", "0"), ("FALSE", "0"), ("1", "1"), ("Yes", "Yes"), ("", "")],
)
def test_true_false_become_one_zero_in_flags_only(contract, raw, expected):
    record = {"TaiLieuNop": [{"IsDeleted": raw, "TenTepDinhKem": raw}]}
    item = normalise(record, "HoSo", contract)["TaiLieuNop"][0]
    assert (item["IsDeleted"], item["TenTepDinhKem"]) == (expected, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8000", 8000),
        ("8000.00", 8000),
        ("0", 0),
        ("8000.5", "8000.5"),
        ("-1", "-1"),
        ("8e3", "8e3"),
        ("", ""),
    ],
)
def test_amounts_as_text_become_integers_only_when_whole(contract, raw, expected):
    record = {"DanhSachLePhi": [{"Gia": raw}], "DanhSachTepDinhKemKhac": [{"SoLuong": raw}]}
    out = normalise(record, "HoSo", contract)
    assert out["DanhSachLePhi"][0]["Gia"] == expected
    assert out["DanhSachTepDinhKemKhac"][0]["SoLuong"] == expected


def test_nulls_are_dropped_at_every_depth_and_unknown_keys_are_kept_for_validation(contract):
    record = {
        "MaHoSo": None,
        "NgayHenTra": None,
        "DanhSachHoSoBoSung": [{"DanhSachLePhiBoSung": [{"Gia": None, "MaPhiLePhi": "x"}]}],
        "MaBuuChinh": None,
    }
    out = normalise(record, "HoSo", contract)
    assert out == {"DanhSachHoSoBoSung": [{"DanhSachLePhiBoSung": [{"MaPhiLePhi": "x"}]}]}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3.000181.000.00.00.H22", "3.000181"),
        ("1.004889.000.00.00.G12", "1.004889"),
        ("1.004889", "1.004889"),
        ("1.004889.000.00.00", "1.004889.000.00.00"),
        ("1.004889.000.00.00.H2", "1.004889.000.00.00.H2"),
    ],
)
def test_only_the_full_provincial_form_of_a_procedure_code_is_shortened(contract, raw, expected):
    assert normalise({"MaTTHC": raw}, "HoSo", contract)["MaTTHC"] == expected


def test_paid_online_zero_means_not_paid_online_and_other_values_stay(contract):
    assert normalise({"DuocThanhToanTrucTuyen": "0"}, "HoSo", contract)["DuocThanhToanTrucTuyen"] == ""
    assert normalise({"DuocThanhToanTrucTuyen": "3"}, "HoSo", contract)["DuocThanhToanTrucTuyen"] == "3"


def test_something_that_is_not_an_object_is_left_for_validation_to_refuse(contract):
    assert normalise([1], "HoSo", contract) == [1]
    assert normalise({"TaiLieuNop": "x"}, "HoSo", contract) == {"TaiLieuNop": "x"}
