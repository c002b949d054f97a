"""NFC normalisation of record trees."""

from __future__ import annotations

import unicodedata

from gateway.adapters.text import nfc, nfc_tree

NAME = "Nguyễn Văn An"
DECOMPOSED = unicodedata.normalize("NFD", NAME)


def test_nfc_composes_decomposed_vietnamese() -> None:
    assert DECOMPOSED != NAME
    assert nfc(DECOMPOSED) == NAME


def test_nfc_hands_ascii_back_unchanged() -> None:
    code = "000.00.22.H33-210604-0001"
    assert nfc(code) is code


def test_nfc_tree_normalises_keys_and_strings_at_every_level() -> None:
    tree = {DECOMPOSED: {"list": [DECOMPOSED, {"k": DECOMPOSED}]}}
    assert nfc_tree(tree) == {NAME: {"list": [NAME, {"k": NAME}]}}


def test_nfc_tree_leaves_numbers_booleans_and_none_alone() -> None:
    assert nfc_tree({"a": 1, "b": 1.5, "c": True, "d": None}) == {
        "a": 1,
        "b": 1.5,
        "c": True,
        "d": None,
    }
