"""What the simulator must answer, written down by hand from docs/national-portal.md.

The simulator's tests compare its answers with these, never with a value computed by the code
under test (or by the gateway's code, which the simulator exists to check): the complete form of a
dossier is spelled out field by field, and content hashes are known answers.
"""

from __future__ import annotations

from typing import Any

from gateway.sim import samples

EMPTY_DOSSIER: dict[str, Any] = {
    "MaHoSo": "",
    "MaTTHC": "",
    "TenTTHC": "",
    "MaLinhVuc": "",
    "TenLinhVuc": "",
    "SoBienNhan": "",
    "ChuHoSo": "",
    "LoaiDoiTuong": "",
    "MaDoiTuong": "",
    "DinhDanhCHS": [],
    "Email": "",
    "SoDienThoai": "",
    "Fax": "",
    "ThongTinKhac": "",
    "TrichYeuHoSo": "",
    "NgayTiepNhan": "",
    "NgayHenTra": "",
    "TrangThaiHoSo": "",
    "NgayTra": "",
    "ThongTinTra": "",
    "NgayKetThucXuLy": "",
    "HinhThuc": "",
    "KenhThucHien": "",
    "DonViXuLy": "",
    "GhiChu": "",
    "DuocThanhToanTrucTuyen": "",
    "TaiKhoanDuocXacThucVoiVNeID": "",
    "HoSoCoThanhPhanSoHoa": "",
    "TaiLieuNop": [],
    "DanhSachLePhi": [],
    "DanhSachTepDinhKemKhac": [],
    "DanhSachHoSoBoSung": [],
    "DanhSachGiayToKetQua": [],
    "NoiNopHoSo": "",
    "NgayNopHoSo": "",
    "NgayTuChoi": "",
    "SoGiayToChuHoSo": "",
    "DSKetNoiCSDL": [],
}
"""A dossier (``HoSo``) with no value anywhere, in schema order: what completion starts from."""

EMPTY_HISTORY_ENTRY: dict[str, Any] = {
    "MaHoSo": "",
    "NguoiXuLy": "",
    "ChucDanh": "",
    "ThoiDiemXuLy": "",
    "PhongBanXuLy": "",
    "NoiDungXuLy": "",
    "TrangThai": "",
    "NgayBatDau": "",
    "NgayKetThucTheoQuyDinh": "",
}
"""A processing-history entry (``BuocXuLy``) with no value anywhere, in schema order."""


def full_dossier(record: dict[str, Any]) -> dict[str, Any]:
    """The complete form of a sample dossier (whose nested items are complete already)."""
    return {**EMPTY_DOSSIER, **record}


def full_history_entry(record: dict[str, Any]) -> dict[str, Any]:
    return {**EMPTY_HISTORY_ENTRY, **record}


SAMPLE_DOSSIER_HASHES = {
    2: "89db8a0ec9035bb681f5f5257e6fac8f888865d844b3fec800598d2d4b523f3e",
    10: "03953ff946c3bac64ccec65ce39b9d4ce8bef63dcf28ac746467e218ad6f358f",
    40: "513c18cc4d036b3aeb4df2a307d0e6003f555b22300b0da2fa845f7d2d850668",
}
"""Known answers: ``MaBam`` of ``samples.dossier(n)`` (status "2", revision 0) held complete.

Recorded once and checked against the gateway's ``record_hash`` too; a change of the sample
records in ``gateway/sim/samples.py`` changes them (re-derive them with the hash contract of
docs/national-portal.md and say so in the commit)."""


def sample_hash(n: int) -> str:
    assert samples.dossier(n) == samples.dossier(n, status="2", revision=0)
    return SAMPLE_DOSSIER_HASHES[n]
