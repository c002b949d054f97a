"""Benchmark: translate + validation of both renderings, per source dialect, on one core.

Generates N records per dialect (default 20,000, ~3 KB each as JSON, with fees, attachments and
processing history), writes them in the dialect's own file format (motcua-xml twice: in
windows-1258, as the oldest systems write it, and in UTF-8), then times the whole path:
read + parse + map + build packet + JSON Schema check + XML render + XSD check + serialise both.

    .venv/bin/python bench/translate.py            # 20,000 records per dialect
    .venv/bin/python bench/translate.py -n 5000    # quicker

Target (issue "translate and validate"): >= 2,000 records/s per core for each dialect.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from functools import partial
from pathlib import Path

from lxml import etree

from gateway.mapping import load_mapping
from gateway.packets import SchemaSet
from gateway.packets.render import to_json_bytes, to_xml
from gateway.translate import Translated, Translator

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["Nguyễn Văn An", "Lê Thị Cúc", "Trần Minh Đức", "Phạm Thị Hồng Nhung", "Võ Quốc Bảo", "Đặng Thu Hà"]
PROCEDURES = [("1.004889", "Cấp giấy phép xây dựng nhà ở riêng lẻ"), ("1.001234", "Đăng ký khai sinh")]
STATUS_IGATE = ["NEW", "ACCEPTED", "PROCESSING", "NEED_SUPPLEMENT", "RESOLVED", "RETURNED"]
STATUS_MOTCUA = ["MOI", "TIEP_NHAN", "DANG_XU_LY", "BO_SUNG", "HOAN_THANH", "DA_TRA"]


WORDS = [
    *"xin cấp phép xây dựng nhà ở riêng lẻ tại phường Vĩnh Thanh".split(),  # noqa: SIM905
    *"thành phố Rạch Giá tỉnh Kiên Giang".split(),  # noqa: SIM905
]


def _summary(rng: random.Random) -> str:
    words = WORDS
    return " ".join(rng.choice(words) for _ in range(60)).capitalize()


def _code(i: int) -> str:
    return f"000.00.22.H33-2106{(i % 28) + 1:02d}-{i:06d}"


def igate_records(n: int, rng: random.Random) -> bytes:
    lines = []
    for i in range(n):
        code, name = rng.choice(PROCEDURES)
        record = {
            "id": f"r{i}",
            "code": _code(i),
            "procedure": {"code": code, "name": name, "sector": {"code": "G13-XD01", "name": "Xây dựng"}},
            "applicant": {
                "type": "citizen",
                "fullName": rng.choice(NAMES),
                "identity": {"kind": "CCCD", "number": f"0912030{i % 100000:05d}"},
                "phone": "0912345678",
                "email": "an@example.vn",
                "portalAccountId": f"ND-{i}",
                "vneidVerified": bool(i % 2),
            },
            "summary": _summary(rng),
            "channel": "ONLINE",
            "resultDelivery": "COUNTER",
            "status": rng.choice(STATUS_IGATE),
            "receivedAt": "2021-06-04T08:15:00+07:00",
            "appointmentAt": "2021-06-18T17:00:00+07:00",
            "completedAt": None,
            "returnedAt": None,
            "agency": {"code": "000.00.22.H33", "name": "UBND thành phố Rạch Giá"},
            "fees": [
                {
                    "code": f"LP0{k}",
                    "name": "Lệ phí cấp phép",
                    "amount": 75000,
                    "paid": True,
                    "paidVia": "NATIONAL_PORTAL",
                    "collectAt": "INTAKE",
                }
                for k in range(2)
            ],
            "attachments": [
                {
                    "id": f"f-{i}-{k}",
                    "name": f"Tài liệu {k}.pdf",
                    "componentCode": f"TP0{k}",
                    "url": f"https://files.example.vn/f-{i}-{k}",
                    "digitized": True,
                }
                for k in range(4)
            ],
            "results": [],
            "history": [
                {
                    "actor": rng.choice(NAMES),
                    "title": "Chuyên viên",
                    "department": "Bộ phận một cửa",
                    "action": "Tiếp nhận và chuyển xử lý hồ sơ",
                    "status": "ACCEPTED",
                    "at": f"2021-06-0{k + 4}T08:15:00+07:00",
                    "dueAt": None,
                }
                for k in range(4)
            ],
            "note": None,
            "updatedAt": "2021-06-09T10:00:00+07:00",
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def motcua_records(n: int, rng: random.Random, *, windows_1258: bool = True) -> bytes:
    root = etree.Element("DanhSachHoSo", NgayXuat="05/06/2021 17:00:00", DonVi="000.00.22.H33")
    for i in range(n):
        code, name = rng.choice(PROCEDURES)
        h = etree.SubElement(root, "HoSo")
        for tag, text in [
            ("SoHoSo", _code(i)),
            ("MaThuTucNoiBo", f"{code}.000.00.00.H33"),
            ("TenThuTuc", name),
        ]:
            etree.SubElement(h, tag).text = text
        etree.SubElement(h, "LinhVuc", Ma="G13-XD01").text = "Xây dựng"
        nn = etree.SubElement(h, "NguoiNop", LoaiDoiTuong="CongDan")
        etree.SubElement(nn, "HoTen").text = rng.choice(NAMES)
        etree.SubElement(nn, "SoGiayTo", Loai="CCCD").text = f"0913040{i % 100000:05d}"
        etree.SubElement(nn, "DienThoai").text = "0987654321"
        etree.SubElement(nn, "Email")
        for tag, text in [
            ("TrichYeu", _summary(rng)),
            ("KenhNop", "TrucTiep"),
            ("HinhThucTra", "BuuDien"),
            ("TrangThai", rng.choice(STATUS_MOTCUA)),
            ("NgayNhan", "04/06/2021 08:30:00"),
            ("NgayHenTra", "18/06/2021 17:00:00"),
            ("NgayHoanThanh", ""),
            ("NgayTraKetQua", ""),
        ]:
            etree.SubElement(h, tag).text = text
        etree.SubElement(h, "CoQuanXuLy", Ma="000.00.22.H33").text = "UBND thành phố Rạch Giá"
        fees = etree.SubElement(h, "LePhi")
        for k in range(2):
            etree.SubElement(
                fees, "Khoan", Ma=f"LP0{k}", Ten="Lệ phí", SoTien="75000", DaNop="1", NopQua="TaiQuay"
            )
        files = etree.SubElement(h, "TepDinhKem")
        for k in range(4):
            etree.SubElement(
                files,
                "Tep",
                Id=f"f-{i}-{k}",
                Ten=f"Bản vẽ {k}.pdf",
                MaThanhPhan=f"TP0{k}",
                DuongDan=f"https://files.example.vn/f-{i}-{k}",
            )
        steps = etree.SubElement(h, "QuaTrinh")
        for k in range(4):
            etree.SubElement(
                steps,
                "Buoc",
                ThoiDiem=f"0{k + 4}/06/2021 08:30:00",
                NguoiXuLy=rng.choice(NAMES),
                ChucDanh="Chuyên viên",
                PhongBan="Bộ phận một cửa",
                TrangThai="TIEP_NHAN",
            ).text = "Tiếp nhận hồ sơ"
        etree.SubElement(h, "NgayCapNhat").text = "09/06/2021 10:05:00"
    if not windows_1258:
        return bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=True))
    # The oldest systems write Windows-1258, which carries Vietnamese tones as combining marks.
    body = _windows_1258(etree.tostring(root, encoding="unicode"))
    return b'<?xml version="1.0" encoding="windows-1258"?>\n' + body


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _windows_1258(text: str) -> bytes:
    """Encode as Windows-1258 does: base letter (with circumflex, breve, horn) + tone mark."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in decomposed if c in _TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES)) + tones)
    return "".join(out).encode("cp1258")


HEADER = (
    "SO_HO_SO;MA_TTHC;TEN_TTHC;MA_LINH_VUC;TEN_LINH_VUC;HO_TEN;LOAI_DOI_TUONG;SO_GIAY_TO;DIEN_THOAI;EMAIL;"
    "TRICH_YEU;KENH;TRANG_THAI;NGAY_NHAN;NGAY_HEN_TRA;NGAY_HOAN_THANH;NGAY_TRA;MA_CO_QUAN;TEN_CO_QUAN;PHI;"
    "NGAY_CAP_NHAT"
)


def csv_records(n: int, rng: random.Random) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(HEADER.split(";"))
    for i in range(n):
        code, name = rng.choice(PROCEDURES)
        writer.writerow(
            [
                _code(i),
                code,
                name,
                "G13-XD01",
                "Xây dựng",
                rng.choice(NAMES),
                "CD",
                f"0912030{i % 100000:05d}",
                "0912345678",
                "an@example.vn",
                _summary(rng) + "; ghi chú",
                "2",
                str(rng.randrange(10)),
                "04-06-2021 08:30",
                "18-06-2021 17:00",
                "",
                "",
                "000.00.22.H33",
                "UBND thành phố Rạch Giá",
                "LP01:75000:1|LP02:5000:0",
                "09-06-2021 10:05",
            ]
        )
    return out.getvalue().encode("utf-8-sig")


DIALECTS: dict[str, tuple[str, str, Callable[[int, random.Random], bytes]]] = {
    # label: (mapping, file name, generator)
    "igate-json": ("igate-json", "input.ndjson", igate_records),
    "motcua-xml": ("motcua-xml", "input.xml", motcua_records),
    "motcua-xml/utf-8": ("motcua-xml", "input.xml", partial(motcua_records, windows_1258=False)),
    "legacy-csv": ("legacy-csv", "input.csv", csv_records),
}


def run(name: str, n: int, workdir: Path, schemas: SchemaSet) -> tuple[float, float, int, int, int]:
    mapping, file_name, generate = DIALECTS[name]
    path = workdir / file_name
    path.write_bytes(generate(n, random.Random(42)))
    translator = Translator(load_mapping(ROOT / "mappings" / f"{mapping}.yaml"), schemas)
    packets = rejected = out_bytes = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    for outcome in translator.translate_file(path):
        if isinstance(outcome, Translated):
            element = to_xml(outcome.packet, schemas.layout)
            if schemas.xml_violations(element):
                raise SystemExit(f"{name}: an XML rendering is invalid")
            out_bytes += len(etree.tostring(element)) + len(to_json_bytes(outcome.packet))
            packets += 1
        else:
            rejected += 1
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return elapsed, cpu, packets, rejected, path.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=20_000, help="records per dialect (default 20000)")
    parser.add_argument("--dialect", choices=sorted(DIALECTS), action="append", help="only these dialects")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    schemas = SchemaSet()
    print(f"translate + validate both renderings, {args.n} records per dialect, one core")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.dialect or list(DIALECTS):
            elapsed, cpu, packets, rejected, size = run(name, args.n, Path(tmp), schemas)
            rate = (packets + rejected) / elapsed
            # CPU time too: the machine may be shared, and wall-clock time then counts others' work.
            cpu_rate = (packets + rejected) / cpu if cpu > 0 else float("inf")
            failed |= rate < 2000 or rejected > 0
            per_record = size / max(packets + rejected, 1) / 1024
            print(
                f"  {name:16} {rate:8,.0f} records/s  ({packets} packets, {rejected} rejected, "
                f"{per_record:.1f} KB/record in, {elapsed:.2f} s; "
                f"CPU {cpu:.2f} s = {cpu_rate:,.0f} records/s)"
            )
    print("target: >= 2,000 records/s per dialect:", "met" if not failed else "NOT met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
