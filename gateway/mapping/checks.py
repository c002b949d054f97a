"""Named checks a mapping rule can ask for (``check: ma_ho_so``): identifiers worth validating.

Each check takes the mapped value and returns None when it is fine, or a reason an integrator can
act on. Reasons never repeat a personal identifier in full: rejections end up in logs and stores.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from stdnum.vn import mst

_MA_HO_SO = re.compile(
    r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[GH][0-9]{2}-"
    r"(?P<yy>[0-9]{2})(?P<mm>0[1-9]|1[0-2])(?P<dd>0[1-9]|[12][0-9]|3[01])-[0-9]{1,10}$"
)
_MA_TTHC = re.compile(r"^[0-9]\.[0-9]{6}$")
_DIGITS = re.compile(r"^[0-9]+$")


def masked(value: str) -> str:
    """A personal identifier shown safely: its length and last two characters."""
    return f"…{value[-2:]} ({len(value)} characters)" if len(value) > 2 else f"({len(value)} characters)"


def ma_ho_so(value: Any) -> str | None:
    match = _MA_HO_SO.match(str(value))
    if match:
        try:
            date(2000 + int(match["yy"]), int(match["mm"]), int(match["dd"]))
        except ValueError:
            yymmdd = f"{match['yy']}{match['mm']}{match['dd']}"
            return f"dossier code {value!r} has date part {yymmdd}, not a real date yyMMdd"
        return None
    return (
        f"dossier code {value!r} is not of the form <agency code>-<yyMMdd>-<digits> "
        "(e.g. 000.00.22.H33-210604-0001)"
    )


def ma_tthc(value: Any) -> str | None:
    if _MA_TTHC.match(str(value)):
        return None
    return f"procedure code {value!r} is not a national procedure code d.dddddd (e.g. 1.004889)"


def cccd(value: Any) -> str | None:
    """Citizen ID: 12 digits AAA B CC DDDDDD, AAA the province 001-096, B century and sex 0-5."""
    text = str(value)
    if not (_DIGITS.match(text) and len(text) == 12):
        return f"citizen ID (CCCD) must be 12 digits, got {masked(text)}"
    if not 1 <= int(text[:3]) <= 96:
        return f"citizen ID (CCCD) starts with province code {text[:3]}, not one of 001-096"
    if text[3] not in "012345":
        return f"citizen ID (CCCD) has century/sex digit {text[3]}, not one of 0-5"
    return None


def cmnd(value: Any) -> str | None:
    text = str(value)
    if _DIGITS.match(text) and len(text) == 9:
        return None
    return f"old identity card number (CMND) must be 9 digits, got {masked(text)}"


def tax_code(value: Any) -> str | None:
    text = str(value)
    if not re.match(r"^[0-9]{10}(-[0-9]{3})?$", text):
        return f"tax code (MST) must be 10 digits or NNNNNNNNNN-NNN, got {masked(text)}"
    if not mst.is_valid(text):
        return f"tax code (MST) {masked(text)} fails its check digit"
    return None


_BY_KIND: Mapping[str, Callable[[Any], str | None]] = {"1": cccd, "2": cmnd, "3": tax_code}


def identity(item: Any) -> str | None:
    """Item check for a DinhDanhCHS entry: the number must fit its kind (1 CCCD, 2 CMND, 3 MST)."""
    if not isinstance(item, Mapping):
        return "identity entry is not a record"
    check = _BY_KIND.get(str(item.get("LoaiDinhDanh")))
    if check is None:
        return f"identity kind {item.get('LoaiDinhDanh')!r} is not 1 (CCCD), 2 (CMND) or 3 (MST)"
    return check(item.get("SoDinhDanh", ""))


VALUE_CHECKS: Mapping[str, Callable[[Any], str | None]] = {
    "ma_ho_so": ma_ho_so,
    "ma_tthc": ma_tthc,
    "cccd": cccd,
    "cmnd": cmnd,
    "mst": tax_code,
}
"""Checks on one mapped value (field rules)."""

ITEM_CHECKS: Mapping[str, Callable[[Any], str | None]] = {"identity": identity}
"""Checks on one mapped list item (``each`` rules)."""
