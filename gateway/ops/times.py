"""Times as operators type and read them: ISO 8601, in Vietnam's time unless an offset is given.

For ``dvcgw dead list --since/--until`` and ``dvcgw replay``: a date alone (``2026-12-01``) or a
date-time (``2026-12-01T08:30``, ``2026-12-01 08:30:00+07:00``, ``...Z``); without an offset the
time is Asia/Ho_Chi_Minh's. A date as a lower bound means its first instant; as an upper bound its
whole day (up to the next day's first instant, excluded), so ``--since 2026-12-01 --until
2026-12-01`` is that one day. Every time the commands print is Asia/Ho_Chi_Minh's, with its offset.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from gateway.mapping.dates import NATIONAL_TZ

OPERATOR_TZ = NATIONAL_TZ


def parse_time(text: str, *, upper: bool = False) -> datetime:
    """The aware instant ``text`` names; ``upper``: a date alone means the end of that day (excluded).

    Raises ``ValueError`` saying what is accepted.
    """
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day + timedelta(days=1) if upper else day, time(), OPERATOR_TZ)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 date or date-time (e.g. 2026-12-01, 2026-12-01T08:30 or "
            "2026-12-01T08:30+07:00; Asia/Ho_Chi_Minh when no offset is given)"
        ) from None
    return moment.replace(tzinfo=OPERATOR_TZ) if moment.tzinfo is None else moment


def shown(moment: datetime | None) -> str:
    """``moment`` in Asia/Ho_Chi_Minh, ISO 8601 to the second with its offset; ``-`` for none."""
    if moment is None:
        return "-"
    return moment.astimezone(OPERATOR_TZ).isoformat(timespec="seconds")
