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

# Vendor notation → regular-expression groups. A compiled pattern plus the datetime constructor
# (which rejects 30 February) is several times faster than strptime on the hot path.
_TOKENS = {
    "yyyy": r"(?P<year>[0-9]{4})",
    "MM": r"(?P<month>[0-9]{2})",
    "dd": r"(?P<day>[0-9]{2})",
    "HH": r"(?P<hour>[0-9]{2})",
    "mm": r"(?P<minute>[0-9]{2})",
    "ss": r"(?P<second>[0-9]{2})",
}
_TOKEN_RE = re.compile("|".join(_TOKENS))
# datetime.fromisoformat also takes dates alone, week dates and compact forms; a dialect that
# promises "date-time with offset" gets exactly that, checked first.
_ISO_OFFSET = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_ISO_LOCAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?")
_MIN_YEAR, _MAX_YEAR = 1900, 2099


class DateFormatError(ValueError):
    """A date form in a mapping file is not understood."""


class BadDate(ValueError):
    """A value does not parse as a date in the declared form, or is out of range."""


@dataclass(frozen=True)
class DateForm:
    """A compiled date form: ``parse(text)`` gives an aware datetime."""

    notation: str
    pattern: re.Pattern[str]
    zone: tzinfo

    def parse(self, text: str) -> datetime:
        try:
            if self.pattern is _ISO_OFFSET or self.pattern is _ISO_LOCAL:
                if not self.pattern.fullmatch(text):
                    raise ValueError(text)
                value = datetime.fromisoformat(text)
                if value.tzinfo is None:
                    value = value.replace(tzinfo=self.zone)
            else:
                match = self.pattern.fullmatch(text)
                if match is None:
                    raise ValueError(text)
                parts = match.groupdict()
                value = datetime(
                    int(parts["year"]),
                    int(parts["month"]),
                    int(parts["day"]),
                    int(parts.get("hour") or 0),
                    int(parts.get("minute") or 0),
                    int(parts.get("second") or 0),
                    tzinfo=self.zone,
                )
        except ValueError as exc:
            raise BadDate(f"{text!r} is not a date in the form {self.notation}") from exc
        if not _MIN_YEAR <= value.year <= _MAX_YEAR:
            raise BadDate(f"{text!r} lies outside the years {_MIN_YEAR}-{_MAX_YEAR}")
        return value


def compile_form(notation: str, zone: tzinfo) -> DateForm:
    """Compile ``iso`` or a vendor pattern; raise ``DateFormatError`` for anything else."""
    if notation == "iso":
        return DateForm(
            notation="ISO 8601 with offset (2021-06-04T08:15:00+07:00)", pattern=_ISO_OFFSET, zone=zone
        )
    if notation == "iso-local":
        return DateForm(notation="ISO 8601 local time (2021-06-04T08:15:00)", pattern=_ISO_LOCAL, zone=zone)
    pieces = []
    position = 0
    for token in _TOKEN_RE.finditer(notation):
        pieces.append(re.escape(notation[position : token.start()]))
        pieces.append(_TOKENS[token.group(0)])
        position = token.end()
    pieces.append(re.escape(notation[position:]))
    leftover = _TOKEN_RE.sub("", notation)
    if re.search(r"[A-Za-z]", leftover):
        raise DateFormatError(
            f"date form {notation!r} has unknown letters; use iso or the tokens yyyy MM dd HH mm ss"
        )
    found = _TOKEN_RE.findall(notation)
    if len(set(found)) != len(found) or not {"yyyy", "MM", "dd"} <= set(found):
        raise DateFormatError(f"date form {notation!r} needs yyyy, MM and dd, each once")
    return DateForm(notation=notation, pattern=re.compile("".join(pieces)), zone=zone)


def to_national(value: datetime) -> str:
    """An aware datetime as the national ``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh."""
    if value.tzinfo is not NATIONAL_TZ:
        value = value.astimezone(NATIONAL_TZ)
    return (
        f"{value.year:04d}{value.month:02d}{value.day:02d}"
        f"{value.hour:02d}{value.minute:02d}{value.second:02d}"
    )
