"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.packets import DossierPacket, PacketMeta, SchemaSet

PROJECT_ROOT_MARKER = "pyproject.toml"


@pytest.fixture(scope="session")
def schemas() -> SchemaSet:
    """The national schemas, compiled once for the whole run."""
    return SchemaSet()


def sample_dossier() -> dict[str, Any]:
    """A complete, valid national dossier record (one DongBoHoSoMC item)."""
    return {
        "MaHoSo": "000.00.22.H33-210604-0001",
        "MaTTHC": "1.004889",
        "TenTTHC": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "MaLinhVuc": "G13-XD01",
        "TenLinhVuc": "Xây dựng",
        "ChuHoSo": "Nguyễn Văn An",
        "LoaiDoiTuong": "1",
        "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "091203004567"}],
        "SoDienThoai": "0912345678",
        "TrichYeuHoSo": "Xin cấp phép xây dựng nhà ở",
        "NgayTiepNhan": "20210604081500",
        "NgayHenTra": "20210618170000",
        "TrangThaiHoSo": "4",
        "HinhThuc": "0",
        "KenhThucHien": "2",
        "DonViXuLy": "UBND thành phố Rạch Giá",
        "DuocThanhToanTrucTuyen": "1",
        "TaiKhoanDuocXacThucVoiVNeID": "1",
        "HoSoCoThanhPhanSoHoa": "1",
        "TaiLieuNop": [
            {
                "TepDinhKemId": "f-1",
                "TenTepDinhKem": "Đơn đề nghị.pdf",
                "MaThanhPhanHoSo": "TP01",
                "DuongDanTaiTepTin": "https://files.example.vn/f-1",
                "IsDeleted": "0",
                "DuocSoHoa": "1",
            }
        ],
        "DanhSachLePhi": [
            {
                "TenPhiLePhi": "Lệ phí cấp phép",
                "MaPhiLePhi": "LP01",
                "HinhThucThu": "2",
                "Gia": 75000,
                "LoaiPhiLePhi": "1",
            }
        ],
    }


def sample_history() -> list[dict[str, Any]]:
    return [
        {
            "MaHoSo": "000.00.22.H33-210604-0001",
            "NguoiXuLy": "Trần Thị Bình",
            "ChucDanh": "Chuyên viên",
            "ThoiDiemXuLy": "20210604081500",
            "PhongBanXuLy": "Bộ phận một cửa",
            "NoiDungXuLy": "Tiếp nhận hồ sơ",
            "TrangThai": "2",
        }
    ]


def sample_meta(**changes: Any) -> PacketMeta:
    values: dict[str, Any] = {
        "source": "igate-json",
        "mapping": "igate-json",
        "mapping_hash": "0" * 64,
        "revision": "20210605100000",
        "source_file": "export.json",
        "record_index": 0,
    }
    values.update(changes)
    return PacketMeta(**values)


@pytest.fixture
def make_packet() -> Callable[..., DossierPacket]:
    """Builds a valid packet; keyword arguments replace fields of the dossier record."""

    def build(**dossier_changes: Any) -> DossierPacket:
        dossier = sample_dossier()
        dossier.update(dossier_changes)
        return DossierPacket.build(sample_meta(), dossier, sample_history())

    return build
