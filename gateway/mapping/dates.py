"""Date-time parsing for mappings: provincial forms in, the national ``yyyyMMddHHmmss`` out.

A mapping names a form per field: ``iso`` (ISO 8601, with or without offset) or a pattern in the
notation vendors document (``dd/MM/yyyy HH:mm:ss``, ``dd-MM-yyyy HH:mm``). Values without an offset
are read in the mapping's time zone; every value leaves in the national time zone,
Asia/Ho_Chi_Minh, as the portal expects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

NATIONAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NATIONAL_FORMAT = "%Y%m%d%H%M%S"

# Vendor notation → strptime directives; longest tokens first so "yyyy" wins over "yy".
_TOKENS = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}
_TOKEN_RE = re.compile("|".join(_TOKENS))
_MIN_YEAR, _MAX_YEAR = 1900, 2099


class DateFormatError(ValueError):
    """A date form in a mapping file is not understood."""


class BadDate(ValueError):
    """A value does not parse as a date in the declared form, or is out of range."""


@dataclass(frozen=True)
class DateForm:
    """A compiled date form: ``parse(text)`` gives an aware datetime."""

    notation: str
    strptime: str | None
    zone: tzinfo

    def parse(self, text: str) -> datetime:
        try:
            if self.strptime is None:
                value = datetime.fromisoformat(text)
            else:
                value = datetime.strptime(text, self.strptime)
        except ValueError as exc:
            raise BadDate(f"{text!r} is not a date in the form {self.notation}") from exc
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone)
        if not _MIN_YEAR <= value.year <= _MAX_YEAR:
            raise BadDate(f"{text!r} lies outside the years {_MIN_YEAR}-{_MAX_YEAR}")
        return value


def compile_form(notation: str, zone: tzinfo) -> DateForm:
    """Compile ``iso`` or a vendor pattern; raise ``DateFormatError`` for anything else."""
    if notation == "iso":
        return DateForm(notation="ISO 8601 (2021-06-04T08:15:00+07:00)", strptime=None, zone=zone)
    directives = _TOKEN_RE.sub(lambda m: _TOKENS[m.group(0)], notation)
    leftover = re.sub(r"%[YmdHMS]", "", directives)
    if re.search(r"[A-Za-z]", leftover):
        raise DateFormatError(
            f"date form {notation!r} has unknown letters; use iso or the tokens yyyy MM dd HH mm ss"
        )
    return DateForm(notation=notation, strptime=directives, zone=zone)


def to_national(value: datetime) -> str:
    """An aware datetime as the national ``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh."""
    return value.astimezone(NATIONAL_TZ).strftime(NATIONAL_FORMAT)
