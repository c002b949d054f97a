"""XmlAdapter: motcua-xml documents in, NFC record trees out; hostile XML refused cleanly."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from gateway import safexml
from gateway.adapters import BadRecord, ReadResult, SourceFormat, SourceRecord, XmlAdapter
from gateway.errors import InputError

PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n'
ROOT = b'<DanhSachHoSo NgayXuat="05/06/2021 17:00:00" DonVi="000.00.22.H33">\n'
END = b"</DanhSachHoSo>\n"

SAMPLE_RECORD = """  <HoSo>
    <SoHoSo>000.00.22.H33-210604-0002</SoHoSo>
    <TenThuTuc>Cấp giấy phép xây dựng nhà ở riêng lẻ</TenThuTuc>
    <LinhVuc Ma="G13-XD01">Xây dựng</LinhVuc>
    <NguoiNop LoaiDoiTuong="CongDan">
      <HoTen>Lê Thị Cúc</HoTen>
      <SoGiayTo Loai="CCCD">091304001234</SoGiayTo>
      <Email></Email>
    </NguoiNop>
    <NgayHoanThanh/>
    <LePhi><Khoan Ma="LP01" Ten="Lệ phí cấp phép" SoTien="75000" DaNop="1" NopQua=""/></LePhi>
    <QuaTrinh>
      <Buoc ThoiDiem="04/06/2021 08:30:00" TrangThai="TIEP_NHAN">Tiếp nhận hồ sơ</Buoc>
      <!-- a comment is not data -->
      <Buoc ThoiDiem="05/06/2021 09:00:00" TrangThai="DANG_XU_LY">Chuyển xử lý</Buoc>
    </QuaTrinh>
  </HoSo>
"""

SAMPLE_TREE = {
    "SoHoSo": "000.00.22.H33-210604-0002",
    "TenThuTuc": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
    "LinhVuc": {"@Ma": "G13-XD01", "#text": "Xây dựng"},
    "NguoiNop": {
        "@LoaiDoiTuong": "CongDan",
        "HoTen": "Lê Thị Cúc",
        "SoGiayTo": {"@Loai": "CCCD", "#text": "091304001234"},
        "Email": None,
    },
    "NgayHoanThanh": None,
    "LePhi": {
        "Khoan": {
            "@Ma": "LP01",
            "@Ten": "Lệ phí cấp phép",
            "@SoTien": "75000",
            "@DaNop": "1",
            "@NopQua": None,
        }
    },
    "QuaTrinh": {
        "Buoc": [
            {"@ThoiDiem": "04/06/2021 08:30:00", "@TrangThai": "TIEP_NHAN", "#text": "Tiếp nhận hồ sơ"},
            {"@ThoiDiem": "05/06/2021 09:00:00", "@TrangThai": "DANG_XU_LY", "#text": "Chuyển xử lý"},
        ]
    },
    "@@root": {"@NgayXuat": "05/06/2021 17:00:00", "@DonVi": "000.00.22.H33"},
}


def document(*records: str, prolog: bytes = PROLOG) -> bytes:
    return prolog + ROOT + "".join(records).encode() + END


def read(adapter: XmlAdapter, data: bytes) -> list[ReadResult]:
    return list(adapter.read_bytes(data, "export.xml"))


def refusal(adapter: XmlAdapter, data: bytes) -> InputError:
    with pytest.raises(InputError) as caught:
        read(adapter, data)
    return caught.value


def test_a_record_element_becomes_a_tree_of_attributes_children_and_text(
    xml_adapter: XmlAdapter,
) -> None:
    (record,) = read(xml_adapter, document(SAMPLE_RECORD))
    assert isinstance(record, SourceRecord)
    assert record.tree == SAMPLE_TREE


def test_repeated_children_become_a_list_in_document_order_and_single_ones_stay_single(
    xml_adapter: XmlAdapter,
) -> None:
    record = "<HoSo><Tep Id='1'/><Tep Id='2'/><Tep Id='3'/><Ma>x</Ma></HoSo>"
    (result,) = read(xml_adapter, document(record))
    assert isinstance(result, SourceRecord)
    assert result.tree["Tep"] == [{"@Id": "1"}, {"@Id": "2"}, {"@Id": "3"}]
    assert result.tree["Ma"] == "x"


def test_leaf_text_is_kept_as_written_and_an_empty_element_is_none(
    xml_adapter: XmlAdapter,
) -> None:
    (result,) = read(xml_adapter, document("<HoSo><A> 12 </A><B></B><C/></HoSo>"))
    assert isinstance(result, SourceRecord)
    assert (result.tree["A"], result.tree["B"], result.tree["C"]) == (" 12 ", None, None)


def test_text_mixed_with_child_elements_is_joined_under_text(xml_adapter: XmlAdapter) -> None:
    (result,) = read(xml_adapter, document("<HoSo><A>Lê <B>1</B>Thị<!-- x --> Cúc</A></HoSo>"))
    assert isinstance(result, SourceRecord)
    assert result.tree["A"] == {"B": "1", "#text": "Lê Thị Cúc"}


def test_every_record_carries_the_document_element_attributes(xml_adapter: XmlAdapter) -> None:
    results = read(xml_adapter, document("<HoSo><A>1</A></HoSo>", "<HoSo><A>2</A></HoSo>"))
    roots = [r.tree["@@root"] for r in results if isinstance(r, SourceRecord)]
    assert roots == [{"@NgayXuat": "05/06/2021 17:00:00", "@DonVi": "000.00.22.H33"}] * 2
    assert roots[0] is not roots[1]


def test_provenance_gives_the_index_and_line_and_raw_is_the_element_in_utf8(
    xml_adapter: XmlAdapter,
) -> None:
    results = read(xml_adapter, document("<HoSo><A>Lê</A></HoSo>\n", "<HoSo>\n<A>2</A></HoSo>"))
    assert [(r.provenance.index, r.provenance.line) for r in results] == [(0, 3), (1, 4)]
    assert results[0].raw == "<HoSo><A>Lê</A></HoSo>".encode()


def test_other_children_of_the_document_element_are_ignored(xml_adapter: XmlAdapter) -> None:
    data = document("<ThongTin>x</ThongTin><!-- c --><HoSo><A>1</A></HoSo><?pi x?>text")
    assert [r.tree["A"] for r in read(xml_adapter, data) if isinstance(r, SourceRecord)] == ["1"]


def test_namespaced_elements_and_attributes_are_keyed_by_local_name(
    xml_adapter: XmlAdapter,
) -> None:
    data = (
        b'<d:DanhSachHoSo xmlns:d="urn:x" xmlns:e="urn:e"><d:HoSo e:Ma="1"><d:A>x</d:A>'
        b"</d:HoSo></d:DanhSachHoSo>"
    )
    (result,) = read(xml_adapter, data)
    assert isinstance(result, SourceRecord)
    assert result.tree == {"@Ma": "1", "A": "x", "@@root": {}}


def test_record_and_document_element_names_come_from_the_source_format() -> None:
    adapter = XmlAdapter("x", SourceFormat(kind="xml", root_element="Goc", record_element="Muc"))
    (result,) = read(adapter, b"<Goc><Muc><A>1</A></Muc><HoSo/></Goc>")
    assert isinstance(result, SourceRecord)
    assert result.tree == {"A": "1", "@@root": {}}


def test_a_windows_1258_document_comes_out_nfc_and_equal_to_the_original(
    xml_adapter: XmlAdapter, vietnamese: str, windows_1258: Callable[[str], bytes]
) -> None:
    text = (
        '<?xml version="1.0" encoding="windows-1258"?>\n'
        f'<DanhSachHoSo DonVi="{vietnamese}"><HoSo Ten="{vietnamese}">'
        f"<TrichYeu>{vietnamese}</TrichYeu></HoSo></DanhSachHoSo>"
    )
    data = windows_1258(text)
    assert unicodedata.normalize("NFC", data.decode("cp1258")) == text
    assert data.decode("cp1258") != text  # the file really holds combining tone marks
    (result,) = read(xml_adapter, data)
    assert isinstance(result, SourceRecord)
    assert result.tree == {
        "@Ten": vietnamese,
        "TrichYeu": vietnamese,
        "@@root": {"@DonVi": vietnamese},
    }
    assert vietnamese.encode() in result.raw


def test_a_utf8_document_with_decomposed_text_comes_out_nfc(xml_adapter: XmlAdapter, vietnamese: str) -> None:
    decomposed = unicodedata.normalize("NFD", vietnamese)
    (result,) = read(xml_adapter, document(f'<HoSo Ten="{decomposed}"><A>{decomposed}</A></HoSo>'))
    assert isinstance(result, SourceRecord)
    assert (result.tree["@Ten"], result.tree["A"]) == (vietnamese, vietnamese)


def test_character_references_to_combining_marks_come_out_nfc(xml_adapter: XmlAdapter) -> None:
    (result,) = read(xml_adapter, document("<HoSo><A>Nguye&#x302;&#771;n</A></HoSo>"))
    assert isinstance(result, SourceRecord)
    assert result.tree["A"] == "Nguyễn"


def test_a_combining_overlay_after_markup_does_not_rewrite_the_markup(
    xml_adapter: XmlAdapter,
) -> None:
    # NFC composes ">" + U+0338 into "≯": normalising the raw text would break the tag.
    (result,) = read(xml_adapter, document("<HoSo><A>\u0338x</A><B>=\u0338</B></HoSo>"))
    assert isinstance(result, SourceRecord)
    assert (result.tree["A"], result.tree["B"]) == ("\u0338x", "≠")


def test_a_wrong_document_element_is_refused_naming_expected_and_found(
    xml_adapter: XmlAdapter,
) -> None:
    error = refusal(xml_adapter, b"<Foo><HoSo/></Foo>")
    assert error.reason == "document element is <Foo>, expected <DanhSachHoSo>"


def test_a_record_nested_too_deep_is_a_bad_record_among_good_ones() -> None:
    adapter = XmlAdapter("motcua-xml", SourceFormat(kind="xml", max_depth=3))
    good = "<HoSo><A><B><C>1</C></B></A></HoSo>"  # HoSo, A and B become dicts: 3 levels
    deep = '<HoSo><A><B><C x="1"/></B></A></HoSo>'  # so does C: 4 levels
    results = read(adapter, document(good, deep, good))
    assert [type(r).__name__ for r in results] == ["SourceRecord", "BadRecord", "SourceRecord"]
    rejected = results[1]
    assert isinstance(rejected, BadRecord)
    assert rejected.reason == "nesting deeper than 3 levels"
    assert rejected.provenance.index == 1
    assert rejected.raw == deep.encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<DanhSachHoSo><HoSo><A>&lol9;</A></HoSo></DanhSachHoSo>
"""


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(BILLION_LAUGHS, id="billion-laughs"),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<DanhSachHoSo><HoSo><A>&x;</A></HoSo></DanhSachHoSo>",
            id="external-entity-file",
        ),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
            b"<DanhSachHoSo><HoSo><A>&x;</A></HoSo></DanhSachHoSo>",
            id="external-entity-http",
        ),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE DanhSachHoSo SYSTEM "http://127.0.0.1:9/x.dtd">'
            b"<DanhSachHoSo><HoSo><A>1</A></HoSo></DanhSachHoSo>",
            id="external-dtd-http",
        ),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE DanhSachHoSo SYSTEM "file:///etc/passwd">'
            b"<DanhSachHoSo><HoSo><A>1</A></HoSo></DanhSachHoSo>",
            id="external-dtd-file",
        ),
    ],
)
def test_documents_with_a_doctype_are_refused_without_fetching_anything(
    xml_adapter: XmlAdapter, data: bytes
) -> None:
    error = refusal(xml_adapter, data)
    # libxml2 itself stops the billion laughs while reading the declarations; the others get
    # as far as the gateway's own DOCTYPE check.
    assert error.reason in (
        "document declares a DOCTYPE; DTDs and entities are not accepted",
        "not well-formed XML: Maximum entity amplification factor exceeded, see "
        "xmlCtxtSetMaxAmplification., line 1, column 7",
    )
    assert "root:" not in str(error)


def test_an_undeclared_entity_reference_is_refused_as_not_well_formed(
    xml_adapter: XmlAdapter,
) -> None:
    error = refusal(xml_adapter, document("<HoSo><A>&x;</A></HoSo>"))
    assert error.reason == "not well-formed XML: Entity 'x' not defined, line 3, column 13"
    assert error.location.line == 3


def test_a_100k_deep_document_is_refused_cleanly(xml_adapter: XmlAdapter) -> None:
    data = ROOT + b"<HoSo>" + b"<A>" * 100_000 + b"</A>" * 100_000 + b"</HoSo>" + END
    error = refusal(xml_adapter, data)
    assert error.reason == "nesting deeper than 256 levels (the limit for XML files)"


def test_nesting_deeper_than_256_levels_is_refused_as_such_not_with_libxml2s_advice_to_lift_the_limit(
    xml_adapter: XmlAdapter,
) -> None:
    data = PROLOG + ROOT + b"<HoSo>\n" + b"<A>" * 300 + b"</A>" * 300 + b"</HoSo>" + END
    error = refusal(xml_adapter, data)
    assert error.reason == "nesting deeper than 256 levels (the limit for XML files)"
    assert "XML_PARSE_HUGE" not in str(error)
    assert error.location.line == 4
    # 256 levels, the document element included, are still read.
    (result,) = read(xml_adapter, ROOT + b"<HoSo>" + b"<A>" * 254 + b"x" + b"</A>" * 254 + b"</HoSo>" + END)
    assert isinstance(result, BadRecord)  # a record, refused by max_depth (64), not a file error


def test_safexml_names_the_depth_limit_for_every_caller() -> None:
    with pytest.raises(safexml.TooDeep) as caught:
        safexml.parse(b"<a>" * 300 + b"</a>" * 300, max_bytes=10_000)
    assert str(caught.value) == "nesting deeper than 256 levels (the limit for XML files)"
    assert isinstance(caught.value, safexml.UnsafeXml)
    assert (caught.value.limit, caught.value.line) == (256, 1)


@pytest.mark.parametrize(
    "text",
    [
        b"x\x01y",
        b"x&#1;y",
        b"x&#x1F;y",
        b"x\x0by",
        b"x\xef\xbf\xbey",
        b"x&#xFFFE;y",
        b"x&#xFFFF;y",
        b"x&#xD800;y",
    ],
)
def test_a_character_xml_cannot_carry_makes_the_file_not_well_formed(
    xml_adapter: XmlAdapter, text: bytes
) -> None:
    # So no record of an XML export can hold one, raw or as a character reference.
    error = refusal(xml_adapter, document().replace(END, b"<HoSo><A>" + text + b"</A></HoSo>" + END))
    assert error.reason.startswith("not well-formed XML: ")


NO_RECORD = "no <HoSo> record element under the document element <DanhSachHoSo>"


@pytest.mark.parametrize(
    "data",
    [
        b"<DanhSachHoSo/>",
        PROLOG + b'<DanhSachHoSo NgayXuat="05/06/2021 17:00:00" DonVi="000.00.22.H33"></DanhSachHoSo>',
        PROLOG + b"<DanhSachHoSo><!-- nothing exported --></DanhSachHoSo>",
    ],
)
def test_an_export_without_any_element_is_refused_as_holding_no_records(
    xml_adapter: XmlAdapter, data: bytes
) -> None:
    error = refusal(xml_adapter, data)
    assert error.reason == f"{NO_RECORD}: the document element is empty, the file holds no records"


def test_records_one_level_too_deep_are_a_file_error_saying_where_they_are(xml_adapter: XmlAdapter) -> None:
    data = document("<Lo>\n<HoSo><SoHoSo>1</SoHoSo></HoSo>\n<HoSo/>\n</Lo>")
    error = refusal(xml_adapter, data)
    assert error.reason == f"{NO_RECORD}; found at DanhSachHoSo/Lo/HoSo (2 elements, the first on line 4)"
    assert error.location.line == 4


def test_records_under_a_differently_spelled_name_are_a_file_error_naming_them(
    xml_adapter: XmlAdapter,
) -> None:
    error = refusal(xml_adapter, document("<Hoso/>\n", "<HOSO/>\n"))
    assert error.reason == (
        f"{NO_RECORD}; found at DanhSachHoSo/Hoso (1 element, the first on line 3), "
        "DanhSachHoSo/HOSO (1 element, the first on line 4) (names are case-sensitive)"
    )


def test_records_under_another_name_are_a_file_error_listing_what_the_document_holds(
    xml_adapter: XmlAdapter,
) -> None:
    error = refusal(xml_adapter, document("<HoSoMC/>\n", "<HoSoMC/>\n", "<ThongKe SoLuong='2'/>\n"))
    assert error.reason == (
        f"{NO_RECORD}; it holds <HoSoMC> (2 elements, the first on line 3), "
        "<ThongKe> (1 element, the first on line 5)"
    )


def test_a_record_element_outside_the_records_beside_them_is_rejected_not_dropped(
    xml_adapter: XmlAdapter,
) -> None:
    results = read(
        xml_adapter, document("<HoSo><A>1</A></HoSo>", "<Lo><HoSo><A>2</A></HoSo></Lo>", "<HoSo/>")
    )
    assert [type(r).__name__ for r in results] == ["SourceRecord", "BadRecord", "SourceRecord"]
    misplaced = results[1]
    assert isinstance(misplaced, BadRecord)
    assert misplaced.reason == (
        "<HoSo> at DanhSachHoSo/Lo/HoSo is not a child of the document element <DanhSachHoSo>, "
        "so it cannot be read as a record"
    )
    assert (misplaced.provenance.index, misplaced.raw) == (1, b"<HoSo><A>2</A></HoSo>")
    assert [r.provenance.index for r in results] == [0, 1, 2]


def test_a_document_that_is_not_well_formed_is_refused_with_its_line(
    xml_adapter: XmlAdapter,
) -> None:
    error = refusal(xml_adapter, document("<HoSo><A>1</A></HoSo>\n", "<HoSo><A>2</B></HoSo>"))
    assert error.reason.startswith("not well-formed XML: Opening and ending tag mismatch: A")
    assert error.location.line == 4
    assert str(error).startswith("export.xml, line 4: not well-formed XML")


def test_invalid_utf8_is_refused_with_the_byte_offset(xml_adapter: XmlAdapter) -> None:
    data = document("<HoSo><A>x</A></HoSo>").replace(b">x<", b">\xff<")
    offset = data.index(0xFF)
    error = refusal(xml_adapter, data)
    assert error.reason == f"byte 0xFF at offset {offset} is not valid UTF-8"
    assert error.location.line == 3


def test_a_byte_windows_1258_does_not_define_is_refused_with_its_offset(
    xml_adapter: XmlAdapter,
) -> None:
    data = b'<?xml version="1.0" encoding="windows-1258"?>\n<DanhSachHoSo>\x81</DanhSachHoSo>'
    error = refusal(xml_adapter, data)
    assert error.reason == "byte 0x81 at offset 60 is not valid windows-1258"


def test_a_nul_byte_is_refused_with_its_offset(xml_adapter: XmlAdapter) -> None:
    data = document("<HoSo><A>x\x00</A></HoSo>")
    error = refusal(xml_adapter, data)
    assert error.reason == f"NUL byte at offset {data.index(0)}: not allowed in XML"


@pytest.mark.parametrize(
    "label", ["x-nope", "rot13", "base64", "unicode_escape", "utf-7", "UTF-16", "ISO-8859-1", "1258", ""]
)
def test_a_declared_encoding_outside_the_allow_list_is_refused(xml_adapter: XmlAdapter, label: str) -> None:
    prolog = f'<?xml version="1.0" encoding="{label}"?>'.encode()
    # Non-ASCII text too: a codec that is no text encoding would crash on it, or garble it.
    error = refusal(xml_adapter, document("<HoSo><A>Lê</A></HoSo>", prolog=prolog))
    assert error.reason == f"declared encoding {label!r} is not supported: an export is UTF-8 or windows-1258"
    assert error.location.line == 1


def test_a_utf7_file_of_ascii_bytes_is_refused_not_read_as_ascii(xml_adapter: XmlAdapter) -> None:
    data = document("<HoSo><A>L+AOo-</A></HoSo>", prolog=b"<?xml version='1.0' encoding='utf-7'?>")
    assert data.isascii()
    assert "'utf-7' is not supported" in refusal(xml_adapter, data).reason


@pytest.mark.parametrize("label", ["UTF-8", "utf-8", "utf8", "windows-1258", "Windows-1258", "cp1258"])
def test_the_allowed_encodings_are_read_in_any_spelling(xml_adapter: XmlAdapter, label: str) -> None:
    prolog = f'<?xml version="1.0" encoding="{label}"?>'.encode()
    [record] = read(xml_adapter, document("<HoSo><A>Le</A></HoSo>", prolog=prolog))
    assert isinstance(record, SourceRecord)


def test_a_byte_order_mark_with_a_declaration_other_than_utf8_is_refused(xml_adapter: XmlAdapter) -> None:
    data = b"\xef\xbb\xbf" + document("<HoSo/>", prolog=b'<?xml version="1.0" encoding="windows-1258"?>')
    error = refusal(xml_adapter, data)
    assert error.reason == "file starts with a UTF-8 byte-order mark but declares 'windows-1258'"


def test_an_oversized_file_is_refused_from_its_size(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(document("<HoSo/>"))
    adapter = XmlAdapter("motcua-xml", SourceFormat(kind="xml", max_file_bytes=50))
    with pytest.raises(InputError, match="over the limit of 50 bytes"):
        list(adapter.read(path))


def test_read_parses_the_file_at_a_path(xml_adapter: XmlAdapter, tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(document(SAMPLE_RECORD))
    (result,) = xml_adapter.read(path)
    assert isinstance(result, SourceRecord)
    assert result.tree == SAMPLE_TREE
    assert result.provenance.file == str(path)


def test_raw_bytes_parse_back_to_the_same_element(xml_adapter: XmlAdapter) -> None:
    (result,) = read(xml_adapter, document(SAMPLE_RECORD))
    assert isinstance(result, SourceRecord)
    assert etree.fromstring(result.raw).findtext("SoHoSo") == "000.00.22.H33-210604-0002"


def test_a_utf8_byte_order_mark_is_tolerated(xml_adapter: XmlAdapter) -> None:
    (result,) = read(xml_adapter, b"\xef\xbb\xbf" + document("<HoSo><A>Lê</A></HoSo>"))
    assert isinstance(result, SourceRecord)
    assert result.tree["A"] == "Lê"


def test_a_document_without_a_prolog_is_read_as_utf8(xml_adapter: XmlAdapter) -> None:
    (result,) = read(xml_adapter, "<DanhSachHoSo><HoSo><A>Lê</A></HoSo></DanhSachHoSo>".encode())
    assert isinstance(result, SourceRecord)
    assert result.tree == {"A": "Lê", "@@root": {}}
