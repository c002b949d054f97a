"""``DateForm.national``, the fast path's one-step date (parse and national form), gives what
``parse`` then ``to_national`` give, errors included, for every form and any text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mutations import PROPERTIES

from gateway.mapping.dates import BadDate, DateForm, DateForms, compile_form, to_national

NATIONAL = ZoneInfo("Asia/Ho_Chi_Minh")
FORMS = [
    ("dd/MM/yyyy HH:mm:ss", NATIONAL),
    ("dd-MM-yyyy HH:mm", NATIONAL),
    ("yyyy-MM-dd", NATIONAL),
    ("yyyyMMddHHmmss", NATIONAL),
    ("dd/MM/yyyy mm:HH", NATIONAL),  # fields out of the usual order of precedence
    ("dd/MM/yyyy HH:mm:ss", ZoneInfo("Asia/Tokyo")),  # another zone: converted
    ("iso", NATIONAL),
    ("iso-local", NATIONAL),
    ("epoch", NATIONAL),
    (["epoch-ms", "yyyy-MM-dd HH:mm:ss"], NATIONAL),
]

# Texts near the forms: digits and separators in the right places, or nearly.
_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=4)
_NEAR = st.lists(
    st.one_of(_DIGITS, st.sampled_from(["/", "-", ":", " ", "T", "+07:00", "Z"])), max_size=14
).map("".join)


def reference(form: DateForm | DateForms, text: str) -> tuple[datetime, str] | str:
    try:
        moment = form.parse(text)
    except BadDate as exc:
        return str(exc)
    return moment, to_national(moment)


def one_step(form: DateForm | DateForms, text: str) -> tuple[datetime, str] | str:
    try:
        return form.national(text)
    except BadDate as exc:
        return str(exc)


@pytest.mark.parametrize(("notation", "zone"), FORMS, ids=lambda v: str(v))
@PROPERTIES
@given(text=_NEAR)
def test_national_is_parse_then_to_national(notation: str | list[str], zone: ZoneInfo, text: str) -> None:
    form = compile_form(notation, zone)
    assert one_step(form, text) == reference(form, text)


@pytest.mark.parametrize(
    "text", ["04/06/2021 08:30:00", "30/02/2021 08:30:00", "04/06/1899 08:30:00", "4/6/2021 8:30:00"]
)
def test_national_of_the_vendor_form_is_its_digits_in_national_order(text: str) -> None:
    form = compile_form("dd/MM/yyyy HH:mm:ss", NATIONAL)
    assert one_step(form, text) == reference(form, text)
    if text == "04/06/2021 08:30:00":
        assert form.national(text)[1] == "20210604083000"
