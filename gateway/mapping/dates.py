"""Date-time parsing for mappings: provincial forms in, the national ``yyyyMMddHHmmss`` out.

A mapping names a form per field: ``iso`` (ISO 8601 with offset), ``iso-local`` (without),
``epoch`` and ``epoch-ms`` (seconds or milliseconds since 1970-01-01T00:00:00Z, as JavaScript and
Java systems export them), or a pattern in the notation vendors document (``dd/MM/yyyy HH:mm:ss``,
``dd-MM-yyyy HH:mm``); or a list of these, tried in order (``[epoch-ms, "yyyy-MM-dd HH:mm:ss"]``).
Values without an offset are read in the mapping's time zone; every value leaves in the national
time zone, Asia/Ho_Chi_Minh, as the portal expects.

A value in the form of a date that does not exist (30 February, hour 25) is reported as such, not
as a value of another form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
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
# Epoch values: ASCII digits, maybe a minus sign (before 1970). Seconds have at most 10 digits and
# milliseconds 11 to 13 over the years accepted (1900-2099, from 1970-05 for milliseconds), so
# [epoch-ms, epoch] tells them apart, and int() never meets a runaway length.
_EPOCH_S = re.compile(r"-?[0-9]{1,10}")
_EPOCH_MS = re.compile(r"-?[0-9]{11,13}")
_EPOCH_ZERO = datetime(1970, 1, 1, tzinfo=UTC)
# The fields of a date-time, in the order of datetime's arguments and of the national form.
_FIELDS = ("year", "month", "day", "hour", "minute", "second")


class DateFormatError(ValueError):
    """A date form in a mapping file is not understood."""


class BadDate(ValueError):
    """A value does not parse as a date in the declared form, or is out of range."""


@dataclass(frozen=True)
class DateForm:
    """A compiled date form: ``parse(text)`` gives an aware datetime.

    ``epoch`` is 0 for a calendar form, 1 for epoch seconds, 1000 for epoch milliseconds."""

    notation: str
    pattern: re.Pattern[str]
    zone: tzinfo
    epoch: int = 0
    _groups: tuple[int, ...] | None = field(default=None, init=False, repr=False, compare=False)
    """For a calendar form read in the national zone whose fields are year, month, day and then
    maybe hour, minute, second (in that order of precedence, whatever the notation's order):
    the pattern's groups of those fields, in that order. The national form is then the digits
    as written (``national``); None for any other form."""

    def __post_init__(self) -> None:
        if self.epoch or self.zone is not NATIONAL_TZ or self.pattern in (_ISO_OFFSET, _ISO_LOCAL):
            return
        present = [name for name in _FIELDS if name in self.pattern.groupindex]
        if present != list(_FIELDS[: len(present)]):
            return
        object.__setattr__(self, "_groups", tuple(self.pattern.groupindex[name] for name in present))

    def national(self, text: str) -> tuple[datetime, str]:
        """``parse(text)`` and its national ``yyyyMMddHHmmss`` (``to_national``), in one step:
        the hot path of every date field. Same results and errors as the two calls."""
        groups = self._groups
        if groups is None:
            moment = self.parse(text)
            return moment, to_national(moment)
        match = self.pattern.fullmatch(text)
        if match is None:
            raise BadDate(f"{text!r} is not a date in the form {self.notation}")
        parts: tuple[str, ...] = match.group(*groups)
        try:
            moment = datetime(*map(int, parts), tzinfo=self.zone)  # type: ignore[arg-type,misc]
        except ValueError as exc:
            raise BadDate(f"{text!r} is not a date that exists ({exc})") from exc
        if not _MIN_YEAR <= moment.year <= _MAX_YEAR:
            raise BadDate(f"{text!r} lies outside the years {_MIN_YEAR}-{_MAX_YEAR}")
        # Fields are written with as many digits as the national form has: 2, and 4 for the year.
        return moment, "".join(parts) + "00" * (len(_FIELDS) - len(parts))

    def parse(self, text: str) -> datetime:
        value = self._moment(text)
        if not _MIN_YEAR <= value.year <= _MAX_YEAR:
            raise BadDate(f"{text!r} lies outside the years {_MIN_YEAR}-{_MAX_YEAR}")
        return value

    def _moment(self, text: str) -> datetime:
        match = self.pattern.fullmatch(text)
        if match is None:
            raise BadDate(f"{text!r} is not a date in the form {self.notation}")
        if self.epoch:
            # timedelta, not fromtimestamp: exact for milliseconds, and no platform limits.
            return _EPOCH_ZERO + timedelta(milliseconds=int(text) * (1000 // self.epoch))
        try:
            if self.pattern is _ISO_OFFSET or self.pattern is _ISO_LOCAL:
                value = datetime.fromisoformat(text)
                return value if value.tzinfo is not None else value.replace(tzinfo=self.zone)
            parts = match.groupdict()
            return datetime(
                int(parts["year"]),
                int(parts["month"]),
                int(parts["day"]),
                int(parts.get("hour") or 0),
                int(parts.get("minute") or 0),
                int(parts.get("second") or 0),
                tzinfo=self.zone,
            )
        except ValueError as exc:
            # The form matched: the numbers name no real moment (30 February, hour 25).
            raise BadDate(f"{text!r} is not a date that exists ({exc})") from exc


@dataclass(frozen=True)
class DateForms:
    """Several forms tried in order (``date: [epoch-ms, "yyyy-MM-dd HH:mm:ss"]``): the first
    whose notation the value has decides; a value none has is in none of the forms."""

    forms: tuple[DateForm, ...]

    @property
    def notation(self) -> str:
        return " or ".join(form.notation for form in self.forms)

    def parse(self, text: str) -> datetime:
        return self._form(text).parse(text)

    def national(self, text: str) -> tuple[datetime, str]:
        """``parse(text)`` and its national form, as ``DateForm.national``."""
        return self._form(text).national(text)

    def _form(self, text: str) -> DateForm:
        for form in self.forms:
            if form.pattern.fullmatch(text):
                return form
        raise BadDate(
            f"{text!r} is not a date in any of the forms: {'; '.join(f.notation for f in self.forms)}"
        )


def compile_form(notation: str | Sequence[str], zone: tzinfo) -> DateForm | DateForms:
    """Compile a form or a list of forms; raise ``DateFormatError`` for anything unknown."""
    if isinstance(notation, str):
        return _compile_one(notation, zone)
    if not notation:
        raise DateFormatError("a list of date forms must hold at least one form")
    forms = tuple(_compile_one(str(one), zone) for one in notation)
    return forms[0] if len(forms) == 1 else DateForms(forms)


def _compile_one(notation: str, zone: tzinfo) -> DateForm:
    """Compile ``iso``, ``iso-local``, ``epoch``, ``epoch-ms`` or a vendor pattern."""
    if notation == "iso":
        return DateForm(
            notation="ISO 8601 with offset (2021-06-04T08:15:00+07:00)", pattern=_ISO_OFFSET, zone=zone
        )
    if notation == "iso-local":
        return DateForm(notation="ISO 8601 local time (2021-06-04T08:15:00)", pattern=_ISO_LOCAL, zone=zone)
    if notation == "epoch":
        return DateForm(notation="epoch seconds (1622769300)", pattern=_EPOCH_S, zone=zone, epoch=1)
    if notation == "epoch-ms":
        return DateForm(
            notation="epoch milliseconds (1622769300000)", pattern=_EPOCH_MS, zone=zone, epoch=1000
        )
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
            f"date form {notation!r} has unknown letters; use iso, iso-local, epoch, epoch-ms or the "
            "tokens yyyy MM dd HH mm ss"
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
