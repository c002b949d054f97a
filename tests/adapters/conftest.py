"""Fixtures for the adapter tests: adapters with their default formats, and a Windows-1258
encoder that writes Vietnamese the way the old one-stop exports do."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest

from gateway.adapters import CsvAdapter, JsonAdapter, SourceFormat, XmlAdapter

# The five tone marks Windows-1258 encodes as combining characters; the vowel letters with
# circumflex, breve and horn (â, ă, ơ, ư, ...) and đ have their own code points.
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")

# Vietnamese with every tone on several vowel shapes, in NFC.
_VIETNAMESE = (
    "Nguyễn Văn An, Lê Thị Cúc, Phạm Văn Dũng, Trần Thị Bình, Hoàng Văn Em; "
    "Cấp giấy phép xây dựng nhà ở riêng lẻ; Lệ phí cấp phép; Đề nghị; Bản vẽ; "
    "UBND thành phố Rạch Giá; Ỷ Ỹ ỵ ữ ở ợ ẵ ặ ầ ẩ"
)


def encode_windows_1258(text: str) -> bytes:
    """``text`` as a Windows-1258 exporter writes it: tone marks as combining characters."""
    out = []
    for char in text:
        try:
            char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONE_MARKS))
            char = base + "".join(c for c in parts if c in TONE_MARKS)
        out.append(char)
    return "".join(out).encode("cp1258")


@pytest.fixture
def vietnamese() -> str:
    """Vietnamese text in NFC, with every tone mark on plain and modified vowels."""
    return _VIETNAMESE


@pytest.fixture
def windows_1258() -> Callable[[str], bytes]:
    """Encodes text to Windows-1258 the way the old exports do."""
    return encode_windows_1258


@pytest.fixture
def json_adapter() -> JsonAdapter:
    return JsonAdapter("igate-json", SourceFormat(kind="json"))


@pytest.fixture
def xml_adapter() -> XmlAdapter:
    return XmlAdapter("motcua-xml", SourceFormat(kind="xml"))


@pytest.fixture
def csv_adapter() -> CsvAdapter:
    return CsvAdapter("legacy-csv", SourceFormat(kind="csv"))
