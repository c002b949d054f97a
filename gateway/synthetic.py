"""Synthetic provincial exports (the ``igate-json`` dialect) for tests and benchmarks.

``dossier_codes`` and ``igate_ndjson`` produce realistic records (fees, attachments, processing
history; Vietnamese text) whose dossier codes, statuses and revisions the caller chooses, so a test
can send several revisions of the same dossiers in any order and know which one must win.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

AGENCY = "000.00.22.H33"
STATUSES = ["NEW", "ACCEPTED", "PROCESSING", "NEED_SUPPLEMENT", "RESOLVED", "RETURNED"]
"""igate-json status values in the order a dossier moves through them."""
NATIONAL_STATUS = {
    "NEW": "1",
    "ACCEPTED": "2",
    "PROCESSING": "4",
    "NEED_SUPPLEMENT": "5",
    "RESOLVED": "9",
    "RETURNED": "10",
}
_NAMES = ["Nguyễn Văn An", "Lê Thị Cúc", "Trần Minh Đức", "Phạm Thị Hồng Nhung", "Võ Quốc Bảo", "Đặng Thu Hà"]
_PROCEDURES = [("1.004889", "Cấp giấy phép xây dựng nhà ở riêng lẻ"), ("1.001234", "Đăng ký khai sinh")]
_BASE = datetime.fromisoformat("2021-06-04T08:15:00+07:00")


def dossier_code(i: int) -> str:
    """The i-th synthetic dossier code (unique for i < 1,000,000)."""
    return f"{AGENCY}-2106{(i % 28) + 1:02d}-{i:06d}"


def igate_record(
    i: int, *, revision: int = 0, status: str | None = None, procedure: str | None = None
) -> dict[str, Any]:
    """Dossier ``i`` at its ``revision``-th update (later revisions have later ``updatedAt``)."""
    rng = random.Random(i)  # noqa: S311 - synthetic test data, not secrets
    code, name = _PROCEDURES[i % len(_PROCEDURES)]
    status = status or STATUSES[min(revision, len(STATUSES) - 1)]
    steps = [
        {
            "actor": rng.choice(_NAMES),
            "title": "Chuyên viên",
            "department": "Bộ phận một cửa",
            "action": "Tiếp nhận và chuyển xử lý hồ sơ",
            "status": "ACCEPTED",
            "at": (_BASE + timedelta(hours=k)).isoformat(),
            "dueAt": None,
        }
        for k in range(1 + revision % 3)
    ]
    return {
        "id": f"r{i}",
        "code": dossier_code(i),
        "procedure": {
            "code": procedure or code,
            "name": name,
            "sector": {"code": "G13-XD01", "name": "Xây dựng"},
        },
        "applicant": {
            "type": "citizen",
            "fullName": rng.choice(_NAMES),
            "identity": {"kind": "CCCD", "number": f"0912030{i % 100000:05d}"},
            "phone": "0912345678",
            "email": "an@example.vn",
            "portalAccountId": f"ND-{i}",
            "vneidVerified": bool(i % 2),
        },
        "summary": "Xin cấp phép xây dựng nhà ở tại phường Vĩnh Thanh, thành phố Rạch Giá",
        "channel": "ONLINE",
        "resultDelivery": "COUNTER",
        "status": status,
        "receivedAt": _BASE.isoformat(),
        "appointmentAt": (_BASE + timedelta(days=14)).isoformat(),
        "completedAt": None,
        "returnedAt": None,
        "agency": {"code": AGENCY, "name": "UBND thành phố Rạch Giá"},
        "fees": [
            {
                "code": "LP01",
                "name": "Lệ phí cấp phép",
                "amount": 75000,
                "paid": True,
                "paidVia": "NATIONAL_PORTAL",
                "collectAt": "INTAKE",
            }
        ],
        "attachments": [
            {
                "id": f"f-{i}-{k}",
                "name": f"Tài liệu {k}.pdf",
                "componentCode": f"TP0{k}",
                "url": f"https://files.example.vn/f-{i}-{k}",
                "digitized": True,
            }
            for k in range(2)
        ],
        "results": [],
        "history": steps,
        "note": None,
        "updatedAt": (_BASE + timedelta(days=1, minutes=revision)).isoformat(),
    }


def igate_ndjson(records: Iterable[dict[str, Any]]) -> bytes:
    """Records as an NDJSON export file."""
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def igate_file(indexes: Sequence[int], *, revision: int = 0, procedure: str | None = None) -> bytes:
    """An NDJSON export of dossiers ``indexes``, all at ``revision``."""
    return igate_ndjson(igate_record(i, revision=revision, procedure=procedure) for i in indexes)
