"""How the coordination generation's answers are read: by their Vietnamese words, in one place."""

from __future__ import annotations

import unicodedata

import httpx
import orjson
import pytest

from gateway.portal import ItemOutcome
from gateway.portal.classify import (
    CallRejected,
    CallUnavailable,
    ItemAnswer,
    SessionInvalid,
    coordination_dossier_item,
    coordination_history_item,
    coordination_items,
)


def dossier(code: int, message: str) -> ItemOutcome:
    return coordination_dossier_item(ItemAnswer("000.00.22.H33-240105-000001", code, message))


@pytest.mark.parametrize("code", [0, 3, -3])
def test_an_insert_answered_already_exists_is_exists_under_each_code_clients_accept(code):
    assert dossier(code, "Hồ sơ 000.00.22.H33-240105-000001 đã tồn tại") is ItemOutcome.EXISTS


def test_already_exists_under_another_code_is_a_refusal():
    assert dossier(-1, "Hồ sơ đã tồn tại") is ItemOutcome.REFUSED


@pytest.mark.parametrize("message", ["Thành công", "Đồng bộ hồ sơ thành công (1)", "THÀNH CÔNG"])
def test_code_zero_with_thanh_cong_is_ok_whatever_the_letter_case(message):
    assert dossier(0, message) is ItemOutcome.OK


def test_success_words_in_decomposed_unicode_are_still_success():
    assert dossier(0, unicodedata.normalize("NFD", "Thành công")) is ItemOutcome.OK


def test_khong_thanh_cong_is_never_success():
    assert dossier(0, "Đồng bộ không thành công") is ItemOutcome.REFUSED


def test_code_zero_without_the_success_words_is_a_refusal():
    assert dossier(0, "Đã nhận") is ItemOutcome.REFUSED


def test_success_words_under_a_non_zero_code_are_a_refusal():
    assert dossier(1, "thành công") is ItemOutcome.REFUSED


def test_not_on_the_system_is_not_found():
    assert dossier(-2, "Hồ sơ 000.00.22.H33-240105-000001 chưa có trên hệ thống") is ItemOutcome.NOT_FOUND


def test_an_unknown_answer_is_a_refusal():
    assert dossier(-4, "Thủ tục không có trong danh mục") is ItemOutcome.REFUSED


def test_a_history_entry_the_portal_already_holds_is_ok():
    entry = ItemAnswer("000.00.22.H33-240105-000001", 3, "Tiến trình đã tồn tại")
    assert coordination_history_item(entry) is ItemOutcome.OK


def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers)


def test_item_codes_written_as_text_are_read_as_numbers():
    body = orjson.dumps(
        {
            "error_code": "-3",
            "message": "x",
            "result": [{"MaHoSo": "A", "error_code": "-3", "message": "đã tồn tại"}],
        }
    )
    [item] = coordination_items("ThemMoiHoSo", answer(200, body), 1)
    assert item == ItemAnswer("A", -3, "đã tồn tại")


def test_a_one_item_call_without_item_outcomes_is_judged_by_the_call():
    body = '{"error_code": 0, "message": "Đồng bộ hồ sơ thành công"}'.encode()
    [item] = coordination_items("ThemMoiHoSo", answer(200, body), 1)
    assert coordination_dossier_item(item) is ItemOutcome.OK


def test_a_larger_call_without_item_outcomes_is_an_invalid_answer():
    body = '{"error_code": 0, "message": "Đồng bộ hồ sơ thành công"}'.encode()
    with pytest.raises(CallUnavailable, match="not valid"):
        coordination_items("ThemMoiHoSo", answer(200, body), 2)


def test_a_401_is_unavailable_not_a_session_to_renew():
    with pytest.raises(CallUnavailable) as caught:
        coordination_items("ThemMoiHoSo", answer(401, b"Unauthorized"), 1)
    assert not isinstance(caught.value, SessionInvalid)
    assert caught.value.status == 401


def test_a_bad_request_is_rejected_for_good():
    body = b'{"error_code": 20, "message": "not an array", "result": null}'
    with pytest.raises(CallRejected, match="HTTP 400"):
        coordination_items("ThemMoiHoSo", answer(400, body), 1)


def test_a_429_carries_its_retry_after():
    body = b'{"error_code": 32, "message": "slow down", "result": null}'
    with pytest.raises(CallUnavailable) as caught:
        coordination_items("ThemMoiHoSo", answer(429, body, {"Retry-After": "2"}), 1)
    assert caught.value.retry_after == 2.0
