"""Bodies shaped exactly as three public portal clients build them are accepted, stored and looked
up as each client expects (issue 8).

The shapes (key order, types, empty and null values, envelope, URL) are taken from the clients'
code, read with the project's search tool; facts only, no code of theirs:

* OpenCPS v2 ``DVCQGIntegrationActionImpl``: envelope API; ``LayThuTuc`` (``maTTHC``) before every
  sync to fill TenTTHC/MaLinhVuc/TenLinhVuc from ``TENTTHC`` and ``LINHVUCTHUCHIEN[0]``;
  ``TraCuuHoSo`` to choose ``isUpdating``; no KenhThucHien, DuocThanhToanTrucTuyen or VNeID flag;
  ``""`` for every empty value; every list sent empty; then ``CapNhatTienDoHoSoMC``.
* Thanh Hóa ``SyncLocalDataToDVCQGService``: bare arrays to insert / update / progress URLs, no
  authentication, Newtonsoft key order (that of its DTO classes), ``null`` for unset values,
  ``IsDeleted`` ``"False"``, ``Gia`` as text, ``DuocThanhToanTrucTuyen`` ``"0"`` without a fee,
  MaTTHC as the local system holds it (provincial form), the added fields (NoiNopHoSo,
  NgayNopHoSo, NgayTuChoi, SoGiayToChuHoSo, DSKetNoiCSDL, DuocTaiSuDung, DuocLayTuKhoDMQG,
  MaKetQuaThayThe, MaGiayToKetQua); success judged by "thành công", a duplicate insert by
  error_code 0/3/-3 with "đã tồn tại" (then the update); progress in chunks of 10.
* Hà Giang one-gate client: envelope API; not found in the search index, so its body follows the
  issue's description of it: no KenhThucHien, ``IsDeleted`` ``"False"``, ``null`` for MaDoiTuong,
  NgayHenTra and a result document's MaThanhPhanHoSo.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.sim.process import SimProcess
from tests.sim.conftest import SimClient

INSERT = "/api/dieuphoi/ThemMoiHoSo"
UPDATE = "/api/dieuphoi/CapNhatHoSo"
PROGRESS = "/api/dieuphoi/DongBoTienTrinh"


def post_raw(http: httpx.Client, path: str, body: Any) -> httpx.Response:
    """POST ``body`` serialised as the client does: keys in the given order, nulls kept."""
    content = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return http.post(path, content=content, headers={"Content-Type": "application/json"})


# ---- OpenCPS ------------------------------------------------------------------------------


def opencps_dossier(status: str, *, tthc: dict[str, str]) -> dict[str, Any]:
    return {
        "MaHoSo": "000.00.22.H33-240301-0042",
        "MaTTHC": "1.004889",
        "TenTTHC": tthc["TenTTHC"],
        "MaLinhVuc": tthc["MaLinhVuc"],
        "TenLinhVuc": tthc["TenLinhVuc"],
        "ChuHoSo": "Phạm Thị Dung",
        "LoaiDoiTuong": "1",
        "MaDoiTuong": "",
        "ThongTinKhac": "",
        "Email": "dung.pham@example.invalid",
        "Fax": "0912000111",
        "SoDienThoai": "0912000111",
        "TrichYeuHoSo": "Xin cấp phép xây dựng nhà ở",
        "NgayTiepNhan": "20240301081500",
        "NgayHenTra": "20240315170000",
        "TrangThaiHoSo": status,
        "NgayTra": "",
        "ThongTinTra": "",
        "HinhThuc": "0",
        "NgayKetThucXuLy": "20240314100000" if status == "9" else "",
        "DonViXuLy": "UBND thành phố Rạch Giá",
        "GhiChu": "Xin cấp phép xây dựng nhà ở",
        "TaiLieuNop": [],
        "DanhSachLePhi": [],
        "DanhSachTepDinhKemKhac": [],
        "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": [],
    }


def opencps_call(client: SimClient, body: dict[str, Any]) -> dict[str, Any]:
    """OpenCPS's syncData: session and madonvi first, then the service's own keys."""
    envelope = {"session": client.session, "madonvi": "000.00.22.H33", **body}
    response = post_raw(client.http, "/api/v1/integration", envelope)
    assert response.status_code == 200, response.text
    return dict(response.json())


def opencps_sync(client: SimClient, status: str) -> dict[str, Any]:
    found = opencps_call(client, {"service": "LayThuTuc", "maTTHC": "1.004889"})["result"][0]
    tthc = {
        "TenTTHC": found["TENTTHC"],
        "MaLinhVuc": found["LINHVUCTHUCHIEN"][0]["MALINHVUC"],
        "TenLinhVuc": found["LINHVUCTHUCHIEN"][0]["TENLINHVUC"],
    }
    held = opencps_call(client, {"service": "TraCuuHoSo", "mahoso": "000.00.22.H33-240301-0042"})
    return opencps_call(
        client,
        {
            "isUpdating": "True" if held["result"] else "False",
            "data": [opencps_dossier(status, tthc=tthc)],
            "service": "DongBoHoSoMC",
        },
    )


def test_opencps_fills_the_procedure_from_laythutuc_then_inserts_updates_and_reports_progress(sim_client):
    inserted = opencps_sync(sim_client, "4")
    assert inserted["error_code"] == 0
    assert inserted["result"][0]["message"] == "inserted"
    progress = opencps_call(
        sim_client,
        {
            "service": "CapNhatTienDoHoSoMC",
            "data": [
                {
                    "MaHoSo": "000.00.22.H33-240301-0042",
                    "NguoiXuLy": "Trần Thị Bình",
                    "ChucDanh": "",
                    "ThoiDiemXuLy": "20240301081500",
                    "PhongBanXuLy": "",
                    "NoiDungXuLy": "Chuyển xử lý",
                    "TrangThai": "4",
                    "NgayBatDau": "",
                    "NgayKetThucTheoQuyDinh": "",
                }
            ],
        },
    )
    assert progress["error_code"] == 0
    updated = opencps_sync(sim_client, "9")
    assert updated["error_code"] == 0
    assert updated["result"][0]["message"] == "updated"

    truth = sim_client.truth("000.00.22.H33-240301-0042").json()
    current = truth["current"]
    assert current["TrangThaiHoSo"] == "9"
    assert current["TenTTHC"] == "Cấp giấy phép xây dựng nhà ở riêng lẻ"
    assert (current["MaLinhVuc"], current["TenLinhVuc"]) == ("G13-XD01", "Xây dựng")
    assert current["KenhThucHien"] == ""  # never sent by this client
    assert [v["operation"] for v in truth["versions"]] == ["insert", "update"]
    assert len(truth["history"]) == 1
    looked_up = opencps_call(sim_client, {"service": "TraCuuHoSo", "mahoso": "000.00.22.H33-240301-0042"})
    assert looked_up["result"][0]["NgayKetThucXuLy"] == "20240314100000"


# ---- Thanh Hóa (the coordination API) -------------------------------------------------------

THANH_HOA_CODE = "000.00.31.H56-240305-48213"


def thanh_hoa_dossier(*, status: str = "4", with_fee: bool = True) -> dict[str, Any]:
    return {
        "MaHoSo": THANH_HOA_CODE,
        "MaTTHC": "1.001193.000.00.00.H56",
        "TenTTHC": "Đăng ký khai sinh",
        "MaLinhVuc": None,
        "TenLinhVuc": None,
        "KenhThucHien": "1",
        "SoGiayToChuHoSo": "038190000123",
        "ChuHoSo": "Lê Văn Hùng",
        "LoaiDoiTuong": "1",
        "MaDoiTuong": None,
        "ThongTinKhac": "",
        "Email": None,
        "Fax": "",
        "SoDienThoai": "0987000222",
        "TrichYeuHoSo": "Đăng ký khai sinh cho con",
        "NgayTiepNhan": "20240305091000",
        "NgayHenTra": None,
        "TrangThaiHoSo": status,
        "NgayTra": "",
        "ThongTinTra": "",
        "HinhThuc": "0",
        "NgayKetThucXuLy": "20240306100000" if status == "9" else "",
        "DonViXuLy": "UBND xã Quảng Phú",
        "GhiChu": "",
        "TaiLieuNop": [
            {
                "TepDinhKemId": "",
                "TenTepDinhKem": "To khai khai sinh.pdf",
                "IsDeleted": "False",
                "MaThanhPhanHoSo": "TP1",
                "DuongDanTaiTepTin": "https://dvc.example.invalid/download/2024/03/tokhai.pdf",
                "DuocSoHoa": "1",
                "DuocTaiSuDung": "0",
                "DuocLayTuKhoDMQG": "0",
                "MaKetQuaThayThe": None,
            }
        ],
        "DanhSachLePhi": (
            [
                {
                    "TenPhiLePhi": "Lệ phí đăng ký",
                    "MaPhiLePhi": "1",
                    "HinhThucThu": "1",
                    "Gia": "8000",
                    "LoaiPhiLePhi": "1",
                }
            ]
            if with_fee
            else []
        ),
        "DanhSachTepDinhKemKhac": [],
        "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": [
            {
                "TenGiayTo": "Giay khai sinh.pdf",
                "MaThanhPhanHoSo": "",
                "GiayToId": "",
                "DuongDanTepTinKetQua": "https://dvc.example.invalid/download/2024/03/ks.pdf",
                "MaGiayToKetQua": "KQ.1.001193",
            }
        ],
        "NoiNopHoSo": "2",
        "HoSoCoThanhPhanSoHoa": "1",
        "TaiKhoanDuocXacThucVoiVNeID": "0",
        "DuocThanhToanTrucTuyen": "1" if with_fee else "0",
        "NgayTuChoi": None,
        "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "038190000123"}],
        "NgayNopHoSo": "20240305091000",
        "DSKetNoiCSDL": [{"MaCSDL": "7"}],
    }


def thanh_hoa_step(n: int, status: str) -> dict[str, Any]:
    return {
        "MaHoSo": THANH_HOA_CODE,
        "NguoiXuLy": "Cán bộ một cửa",
        "ChucDanh": "",
        "ThoiDiemXuLy": f"202403050{n % 10}1000",
        "PhongBanXuLy": "",
        "NoiDungXuLy": f"Bước {n}",
        "TrangThai": status,
        "NgayBatDau": "",
        "NgayKetThucTheoQuyDinh": "",
    }


def thanh_hoa_push(http: httpx.Client, dossier: dict[str, Any]) -> str:
    """The client's PushData: insert; on "đã tồn tại" (0, 3 or -3) the update; judged by words."""
    inserted = post_raw(http, INSERT, [dossier]).json()
    if str(inserted["error_code"]) in ("0", "3", "-3") and "đã tồn tại" in inserted["message"]:
        updated = post_raw(http, UPDATE, [dossier]).json()
        ok = str(updated["error_code"]) == "0" and "thành công" in updated["message"].lower()
        return "updated" if ok else "failed"
    ok = str(inserted["error_code"]) == "0" and "thành công" in inserted["message"].lower()
    return "inserted" if ok else "failed"


def test_thanh_hoa_inserts_then_updates_after_already_exists_and_pushes_progress_in_tens(sim_client):
    http = sim_client.http
    assert thanh_hoa_push(http, thanh_hoa_dossier()) == "inserted"
    duplicate = post_raw(http, INSERT, [thanh_hoa_dossier()]).json()
    assert duplicate["error_code"] in (0, 3, -3)
    assert "đã tồn tại" in duplicate["message"]
    assert "thành công" not in duplicate["message"].lower()
    assert thanh_hoa_push(http, thanh_hoa_dossier(status="9", with_fee=False)) == "updated"

    steps = [thanh_hoa_step(n, "4") for n in range(12)]
    for start in range(0, len(steps), 10):
        answer = post_raw(http, PROGRESS, steps[start : start + 10])
        assert answer.status_code == 200
        assert "thành công" in answer.text.lower()

    truth = sim_client.truth(THANH_HOA_CODE).json()
    current = truth["current"]
    assert current["TrangThaiHoSo"] == "9"
    assert current["MaTTHC"] == "1.001193"  # the provincial form normalised
    assert current["DuocThanhToanTrucTuyen"] == ""  # "0": no fee, not paid online
    assert current["DanhSachLePhi"] == []
    assert (current["MaDoiTuong"], current["Email"], current["NgayHenTra"], current["NgayTuChoi"]) == (
        "",
        "",
        "",
        "",
    )
    assert current["TaiLieuNop"][0]["IsDeleted"] == "0"
    assert current["TaiLieuNop"][0]["MaKetQuaThayThe"] == ""
    assert current["DSKetNoiCSDL"] == [{"MaCSDL": "7"}]
    assert (current["NoiNopHoSo"], current["SoGiayToChuHoSo"]) == ("2", "038190000123")
    assert current["DanhSachGiayToKetQua"][0]["MaGiayToKetQua"] == "KQ.1.001193"
    first = truth["versions"][0]
    assert first["madonvi"] == "000.00.31.H56"
    assert first["record"]["DanhSachLePhi"][0]["Gia"] == 8000
    assert len(truth["history"]) == 12


def test_thanh_hoa_update_of_an_unknown_dossier_and_an_invalid_record_never_read_as_success(sim_client):
    missing = post_raw(sim_client.http, UPDATE, [thanh_hoa_dossier()]).json()
    assert missing["error_code"] != 0
    assert "thành công" not in missing["message"].lower()
    assert "đã tồn tại" not in missing["message"]
    bad = thanh_hoa_dossier()
    bad["NgayTiepNhan"] = "05/03/2024 09:10"
    invalid = post_raw(sim_client.http, INSERT, [bad]).json()
    assert invalid["error_code"] == -1
    assert "NgayTiepNhan" in invalid["message"]
    assert "thành công" not in invalid["message"].lower()
    orphan = post_raw(sim_client.http, PROGRESS, [thanh_hoa_step(1, "4")])
    assert "thành công" not in orphan.text.lower()
    assert sim_client.truth(THANH_HOA_CODE).status_code == 404


def test_the_coordination_api_refuses_an_envelope_or_an_empty_array(sim_client):
    enveloped = post_raw(sim_client.http, INSERT, {"data": [thanh_hoa_dossier()]})
    empty = post_raw(sim_client.http, INSERT, [])
    assert (enveloped.status_code, empty.status_code) == (400, 400)
    assert "thành công" not in enveloped.text.lower()


# ---- Hà Giang ------------------------------------------------------------------------------

HA_GIANG_CODE = "000.00.12.H24-240410-0007"


def ha_giang_dossier(status: str) -> dict[str, Any]:
    return {
        "MaHoSo": HA_GIANG_CODE,
        "MaTTHC": "2.000908",
        "TenTTHC": "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        "MaLinhVuc": "G09-TP05",
        "TenLinhVuc": "Chứng thực",
        "SoBienNhan": "BN-0007",
        "ChuHoSo": "Vàng Seo Páo",
        "LoaiDoiTuong": "1",
        "MaDoiTuong": None,
        "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "002085000777"}],
        "Email": "",
        "SoDienThoai": "0977000333",
        "TrichYeuHoSo": "Chứng thực bản sao",
        "NgayTiepNhan": "20240410080000",
        "NgayHenTra": None,
        "TrangThaiHoSo": status,
        "NgayTra": "20240410150000" if status == "10" else "",
        "NgayKetThucXuLy": "20240410110000" if status in ("9", "10") else "",
        "HinhThuc": "0",
        "DonViXuLy": "UBND xã Lũng Cú",
        "TaiLieuNop": [
            {
                "TepDinhKemId": "hg-1",
                "TenTepDinhKem": "ban-chinh.pdf",
                "MaThanhPhanHoSo": "TP01",
                "DuongDanTaiTepTin": "https://motcua.example.invalid/f/hg-1",
                "IsDeleted": "False",
            }
        ],
        "DanhSachLePhi": [
            {"TenPhiLePhi": "Phí chứng thực", "MaPhiLePhi": "P01", "Gia": 2000, "LoaiPhiLePhi": "2"}
        ],
        "DanhSachGiayToKetQua": [
            {
                "GiayToId": "kq-7",
                "TenGiayTo": "Bản sao đã chứng thực",
                "MaThanhPhanHoSo": None,
                "DuongDanTepTinKetQua": "https://motcua.example.invalid/f/kq-7",
            }
        ],
    }


def test_ha_giang_envelope_bodies_without_channel_and_with_nulls_are_accepted_and_looked_up(sim_client):
    inserted = sim_client.sync([ha_giang_dossier("2")]).json()
    assert inserted["error_code"] == 0, inserted
    history = sim_client.history(
        [
            {
                "MaHoSo": HA_GIANG_CODE,
                "NguoiXuLy": "Cán bộ một cửa",
                "ThoiDiemXuLy": "20240410080000",
                "TrangThai": "2",
            }
        ]
    ).json()
    assert history["error_code"] == 0
    updated = sim_client.sync([ha_giang_dossier("10")], updating=True).json()
    assert updated["error_code"] == 0
    [record] = sim_client.look_up(HA_GIANG_CODE).json()["result"]
    assert record["TrangThaiHoSo"] == "10"
    assert record["KenhThucHien"] == ""
    assert record["TaiLieuNop"][0]["IsDeleted"] == "0"
    assert record["DanhSachGiayToKetQua"][0]["MaThanhPhanHoSo"] == ""
    assert (record["MaDoiTuong"], record["NgayHenTra"]) == ("", "")
    assert sim_client.stats()["regressions"] == 0


# ---- what tolerance does not forgive, and --strict -------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("NgayTiepNhan", "2024-03-05T09:10:00"),
        ("MaHoSo", "H56-240305-1"),
        ("MaHoSo", None),
        ("TrangThaiHoSo", "11"),
        ("MaTTHC", "1.001193.000.00.00"),
    ],
)
def test_tolerance_still_refuses_what_is_really_wrong(sim_client, field, value):
    dossier = thanh_hoa_dossier()
    dossier[field] = value
    answer = post_raw(sim_client.http, INSERT, [dossier]).json()
    assert answer["error_code"] == -1
    assert field in answer["result"][0]["message"]
    assert sim_client.stats()["dossiers"] == 0


@pytest.mark.parametrize(
    ("path", "value"),
    [("TaiLieuNop.0.IsDeleted", "Yes"), ("DanhSachLePhi.0.Gia", "8000.5"), ("DanhSachLePhi.0.Gia", "-8000")],
)
def test_tolerance_does_not_stretch_to_other_spellings(sim_client, path, value):
    dossier = thanh_hoa_dossier()
    list_name, index, name = path.split(".")
    dossier[list_name][int(index)][name] = value
    answer = sim_client.sync([dossier]).json()
    assert answer["result"][0]["error_code"] == 1


@pytest.fixture(scope="module")
def strict_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimClient]:
    directory: Path = tmp_path_factory.mktemp("strict-sim")
    with (
        SimProcess(directory / "strict.sqlite3", strict=True) as sim,
        httpx.Client(base_url=sim.base_url, timeout=10.0) as http,
    ):
        yield SimClient(http)


def test_strict_mode_refuses_the_wire_variants_and_accepts_the_national_form(strict_sim):
    answer = post_raw(strict_sim.http, INSERT, [thanh_hoa_dossier()]).json()
    assert answer["error_code"] == -1
    assert "thành công" not in answer["message"].lower()
    no_channel = strict_sim.sync([ha_giang_dossier("2")]).json()
    assert no_channel["result"][0]["error_code"] == 1
    assert "KenhThucHien" in no_channel["result"][0]["message"]
    strict_form = copy.deepcopy(ha_giang_dossier("2"))
    strict_form |= {"KenhThucHien": "1", "MaDoiTuong": "", "NgayHenTra": ""}
    strict_form["TaiLieuNop"][0]["IsDeleted"] = "0"
    strict_form["DanhSachGiayToKetQua"][0]["MaThanhPhanHoSo"] = ""
    assert strict_sim.sync([strict_form]).json()["error_code"] == 0
