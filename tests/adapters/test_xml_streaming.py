"""XmlAdapter streams: records come out as the file is read, a block at a time, and what a long
file yields before a fault in it does not depend on the size of the blocks."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest

import gateway.adapters._files as files
from gateway.adapters import BadRecord, ReadResult, SourceRecord, XmlAdapter
from gateway.errors import InputError

PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n'
ROOT = b'<DanhSachHoSo DonVi="000.00.22.H33">\n'
END = b"</DanhSachHoSo>\n"


def record(i: int) -> bytes:
    return (
        f"  <HoSo><SoHoSo>000.00.22.H33-210604-{i:04d}</SoHoSo><TrichYeu>Cấp phép xây dựng</TrichYeu>"
        f'<LePhi><Khoan Ma="LP01" SoTien="75000"/></LePhi></HoSo>\n'
    ).encode()


def export(count: int, *, after: bytes = b"") -> bytes:
    return PROLOG + ROOT + b"".join(record(i) for i in range(count)) + after + END


class CountingStream(io.BytesIO):
    """A file that counts the bytes handed out so far."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.handed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.handed += len(chunk)
        return chunk


def outcome(results: Callable[[], Iterator[ReadResult]]) -> list[object]:
    """What a read yields, a file error included as its last item."""
    out: list[object] = []
    try:
        out.extend(results())
    except InputError as exc:
        out.append(("file error", str(exc)))
    return out


def test_the_first_record_comes_out_before_the_file_is_read_whole(
    xml_adapter: XmlAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "BLOCK_BYTES", 4096)
    data = export(2000)
    stream = CountingStream(data)
    records = xml_adapter.read_stream(stream, "export.xml")
    first = next(records)
    assert isinstance(first, SourceRecord)
    assert first.tree["SoHoSo"] == "000.00.22.H33-210604-0000"
    assert stream.handed < len(data) // 10
    rest = list(records)
    assert len(rest) == 1999
    assert [r.provenance.index for r in rest[-2:]] == [1998, 1999]


def test_the_tree_read_so_far_does_not_keep_the_records_already_yielded(
    xml_adapter: XmlAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "BLOCK_BYTES", 4096)
    records = xml_adapter.read_stream(io.BytesIO(export(2000)), "export.xml")
    for _ in range(1500):
        last = next(records)
    assert isinstance(last, SourceRecord)
    # Each record was read from an element that is no longer in the document.
    frame = records.gi_frame  # type: ignore[attr-defined]
    document = frame.f_locals["document"]
    assert document.root is not None
    assert len(document.root) < 100


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (b"<HoSo><SoHoSo>x\x00</SoHoSo></HoSo>", "NUL byte at offset"),
        (b"<HoSo><SoHoSo>\xff</SoHoSo></HoSo>", "is not valid UTF-8"),
        (b"<HoSo><SoHoSo>x</SoHo></HoSo>", "not well-formed XML: Opening and ending tag mismatch"),
        (b"<HoSo><SoHoSo>&nbsp;</SoHoSo></HoSo>", "not well-formed XML: Entity 'nbsp' not defined"),
    ],
)
@pytest.mark.parametrize("block", [64, 4096, 1 << 20])
def test_a_fault_late_in_the_file_ends_it_after_the_same_records_whatever_the_blocks(
    xml_adapter: XmlAdapter, monkeypatch: pytest.MonkeyPatch, fault: bytes, reason: str, block: int
) -> None:
    data = export(300, after=fault + b"\n" + record(999))
    monkeypatch.setattr(files, "BLOCK_BYTES", block)
    results = outcome(lambda: xml_adapter.read_stream(io.BytesIO(data), "export.xml"))
    *records, error = results
    # Every record wholly before the fault: not the one being read when it was met.
    assert len(records) == 300
    assert all(isinstance(r, SourceRecord) for r in records)
    assert isinstance(error, tuple)
    assert reason in error[1]
    assert "line 303" in error[1]


def test_misplaced_records_before_the_first_record_come_out_in_document_order(
    xml_adapter: XmlAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrapped = b"".join(b"<Lo>" + record(900 + i) + b"</Lo>\n" for i in range(50))
    data = PROLOG + ROOT + wrapped + record(1) + END
    monkeypatch.setattr(files, "BLOCK_BYTES", 256)
    results = list(xml_adapter.read_stream(io.BytesIO(data), "export.xml"))
    assert [type(r) for r in results] == [BadRecord] * 50 + [SourceRecord]
    assert [r.provenance.index for r in results] == list(range(51))
    first = results[0]
    assert isinstance(first, BadRecord)
    assert "<HoSo> at DanhSachHoSo/Lo/HoSo is not a child" in first.reason


def test_a_long_file_with_misplaced_records_only_is_one_file_error_naming_where_they_are(
    xml_adapter: XmlAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrapped = b"".join(b"<Lo>" + record(i) + b"</Lo>\n" for i in range(200))
    monkeypatch.setattr(files, "BLOCK_BYTES", 512)
    results = outcome(lambda: xml_adapter.read_stream(io.BytesIO(PROLOG + ROOT + wrapped + END), "x.xml"))
    assert len(results) == 1
    assert "found at DanhSachHoSo/Lo/HoSo (200 elements, the first on line 3)" in str(results[0])


def test_a_doctype_is_refused_before_any_record(xml_adapter: XmlAdapter) -> None:
    data = PROLOG + b'<!DOCTYPE DanhSachHoSo [<!ENTITY a "b">]>\n' + export(3)[len(PROLOG) :]
    results = outcome(lambda: xml_adapter.read_stream(io.BytesIO(data), "export.xml"))
    assert results == [
        ("file error", "export.xml: document declares a DOCTYPE; DTDs and entities are not accepted")
    ]
