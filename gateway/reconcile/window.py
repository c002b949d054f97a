"""The window of a reconciliation run: which dossiers' activity it compares.

A dossier is in the window ``[since, until)`` when the gateway received its latest revision in it,
or the portal last changed it in it (``DanhSachHoSoThayDoi``). ``since`` None means from the
beginning (``--all``). How the window was chosen is kept with the run, because it decides which
later run resumes an interrupted one:

* ``default``: the last ``reconcile.window_days`` days up to now (no option given);
* ``all``: everything up to now (``--all``);
* ``since``: from a given time up to now (``--since`` alone);
* ``range``: up to a given time (``--until``, with or without ``--since``): a fixed window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gateway.mapping.dates import NATIONAL_TZ

PORTAL_FORMAT = "%Y%m%d%H%M%S"
"""``DanhSachHoSoThayDoi``'s times: ``yyyyMMddHHmmss``, the portal's local time (Asia/Ho_Chi_Minh)."""


@dataclass(frozen=True)
class Window:
    """``[since, until)``, aware times; ``kind`` says how it was chosen (see the module)."""

    since: datetime | None
    until: datetime
    kind: str

    @classmethod
    def chosen(
        cls,
        *,
        since: datetime | None,
        until: datetime | None,
        everything: bool,
        days: int,
        now: datetime | None = None,
    ) -> Window:
        """The window the options ask for; ``ValueError`` when ``everything`` comes with bounds, or
        the bounds are the wrong way round."""
        now = now or datetime.now(UTC)
        if everything:
            if since is not None or until is not None:
                raise ValueError("--all compares everything: give it without --since or --until")
            return cls(None, now, "all")
        if since is None and until is None:
            return cls(now - timedelta(days=days), now, "default")
        end = until or now
        if since is not None and since >= end:
            raise ValueError("--since must be before --until (or before now)")
        return cls(since, end, "range" if until is not None else "since")

    def portal_bounds(self) -> tuple[str | None, str]:
        """``tu_ngay``/``den_ngay`` for ``DanhSachHoSoThayDoi``: both inclusive, to the second, so
        the end is the second before ``until``, or the second ``until`` falls in when it is not a
        whole second (a change in that second's rest is listed too: harmless, it is judged)."""
        since = None if self.since is None else self.since.astimezone(NATIONAL_TZ).strftime(PORTAL_FORMAT)
        whole = self.until.replace(microsecond=0)
        last = whole - timedelta(seconds=1) if whole == self.until else whole
        return since, last.astimezone(NATIONAL_TZ).strftime(PORTAL_FORMAT)


def portal_time(text: str) -> datetime | None:
    """A ``yyyyMMddHHmmss`` portal time as an aware instant (None when it is not one)."""
    try:
        return datetime.strptime(text, PORTAL_FORMAT).replace(tzinfo=NATIONAL_TZ)
    except ValueError:
        return None


def local_date(moment: datetime) -> str:
    """The day (YYYY-MM-DD) ``moment`` falls on in Asia/Ho_Chi_Minh."""
    return moment.astimezone(NATIONAL_TZ).date().isoformat()
