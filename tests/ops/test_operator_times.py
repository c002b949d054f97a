"""The times operators type: ISO 8601 dates and date-times, Vietnam's time unless an offset is given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.ops.times import OPERATOR_TZ, parse_time, shown


def test_a_date_alone_is_its_first_instant_in_vietnam() -> None:
    assert parse_time("2026-12-01") == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


def test_a_date_alone_as_an_upper_bound_covers_its_whole_day() -> None:
    assert parse_time("2026-12-01", upper=True) == datetime(2026, 12, 2, tzinfo=OPERATOR_TZ)


def test_a_date_time_without_offset_is_vietnams_and_an_offset_is_kept() -> None:
    assert parse_time("2026-12-01T08:30") == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    assert parse_time("2026-12-01 08:30:00+00:00") == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    assert parse_time("2026-12-01T08:30Z", upper=True) == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "01/12/2026", ""])
def test_anything_else_is_refused_saying_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match="is not an ISO 8601 date or date-time"):
        parse_time(text)


def test_times_are_shown_in_vietnam_to_the_second_with_the_offset() -> None:
    moment = datetime(2026, 12, 1, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-5)))
    assert shown(moment) == "2026-12-01T13:30:15+07:00"
    assert shown(None) == "-"
