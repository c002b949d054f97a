"""Synthetic national records that pass the schemas, for exercising the simulator.

The benchmark, the simulator's tests and anyone poking at a running sim need valid dossiers and
history entries in bulk, with realistic size (documents, fees, identifiers) and no real person's
data: every identifier here is made up from the record number.
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]

AGENCY = "000.00.22.H33"
"""The sending agency (``madonvi``) and the MaHoSo prefix of every sample dossier."""


def ma_ho_so(n: int, *, agency: str = AGENCY, day: str = "240105") -> str:
    """The code of sample dossier ``n``: ``<agency>-<yyMMdd>-<serial>``."""
    return f"{agency}-{day}-{n:06d}"


def dossier(
    n: int, *, status: str = "2", revision: int = 0, agency: str = AGENCY, day: str = "240105"
) -> Record:
    """Sample dossier ``n`` at ``status``; ``revision`` changes its note, hence its content hash."""
    return {
        "MaHoSo": ma_ho_so(n, agency=agency, day=day),
        "MaTTHC": "1.004889",
        "TenTTHC": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "MaLinhVuc": "XD",
        "TenLinhVuc": "Xây dựng",
        "SoBienNhan": f"BN-{n:06d}",
        "ChuHoSo": "Nguyễn Văn Mẫu",
        "LoaiDoiTuong": "1",
        "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": f"001203{n % 1_000_000:06d}"}],
        "Email": f"mau{n}@example.invalid",
        "SoDienThoai": "0900000000",
        "TrichYeuHoSo": "Đề nghị cấp giấy phép xây dựng nhà ở riêng lẻ tại thửa đất số " + str(n),
        "NgayTiepNhan": f"20{day}083000",
        "NgayHenTra": "",
        "TrangThaiHoSo": status,
        "HinhThuc": "0",
        "KenhThucHien": "2",
        "DonViXuLy": "Phòng Quản lý đô thị",
        "GhiChu": f"revision {revision}",
        "DuocThanhToanTrucTuyen": "",
        "TaiKhoanDuocXacThucVoiVNeID": "1",
        "HoSoCoThanhPhanSoHoa": "1",
        "TaiLieuNop": [
            {
                "TepDinhKemId": f"{n}-{i}",
                "TenTepDinhKem": f"thanh-phan-{i}.pdf",
                "MaThanhPhanHoSo": f"TP{i}",
                "DuongDanTaiTepTin": f"https://files.example.invalid/{n}/{i}.pdf",
                "IsDeleted": "0",
                "DuocSoHoa": "1",
                "DuocTaiSuDung": "",
                "DuocLayTuKhoDMQG": "",
                "MaKetQuaThayThe": "",
            }
            for i in range(3)
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


def history_entry(n: int, step: int, *, status: str = "4", day: str = "240105") -> Record:
    """Processing-history entry number ``step`` of sample dossier ``n``."""
    minute = step % 60
    return {
        "MaHoSo": ma_ho_so(n, day=day),
        "NguoiXuLy": "Cán bộ Mẫu",
        "ChucDanh": "Chuyên viên",
        "ThoiDiemXuLy": f"20{day}09{minute:02d}00",
        "PhongBanXuLy": "Bộ phận một cửa",
        "NoiDungXuLy": f"Bước xử lý {step}",
        "TrangThai": status,
    }
