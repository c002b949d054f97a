"""Identifier checks: dossier and procedure codes, citizen IDs, old ID cards, tax codes."""

from __future__ import annotations

import pytest

from gateway.mapping import checks


@pytest.mark.parametrize("value", ["000.00.22.H33-210604-0001", "000.00.01.G12-251231-7"])
def test_well_formed_dossier_codes_pass(value: str) -> None:
    assert checks.ma_ho_so(value) is None


@pytest.mark.parametrize("value", ["000.00.22.H33-210604", "H33-210604-0001", "000.00.22.H33-211332-0001"])
def test_malformed_dossier_codes_are_explained(value: str) -> None:
    assert "<agency code>-<yyMMdd>-<digits>" in str(checks.ma_ho_so(value))


def test_a_valid_citizen_id_passes() -> None:
    assert checks.cccd("091203004567") is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("09120300456", "12 digits"),
        ("000203004567", "province code 000"),
        ("091903004567", "century/sex digit 9"),
    ],
)
def test_invalid_citizen_ids_are_explained(value: str, words: str) -> None:
    assert words in str(checks.cccd(value))


def test_an_invalid_citizen_id_is_never_repeated_in_full() -> None:
    assert "09120300456" not in str(checks.cccd("09120300456"))


def test_old_identity_card_must_have_nine_digits() -> None:
    assert checks.cmnd("012345678") is None
    assert "9 digits" in str(checks.cmnd("0123456789"))


@pytest.mark.parametrize("value", ["0100233488", "0100233488-001"])
def test_tax_codes_with_a_good_check_digit_pass(value: str) -> None:
    assert checks.tax_code(value) is None


def test_a_tax_code_with_a_bad_check_digit_is_refused() -> None:
    assert "check digit" in str(checks.tax_code("0100233489"))


def test_identity_entry_is_checked_by_its_kind() -> None:
    assert checks.identity({"LoaiDinhDanh": "2", "SoDinhDanh": "012345678"}) is None
    assert "12 digits" in str(checks.identity({"LoaiDinhDanh": "1", "SoDinhDanh": "012345678"}))
