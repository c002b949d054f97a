"""What every portal answer means, without a simulator: statuses, codes, faults, broken answers."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

import httpx
import orjson
import pytest
import requests
import zeep.exceptions
from lxml import etree

from gateway.errors import PortalRejected, PortalUnavailable
from gateway.portal import ItemOutcome
from gateway.portal.classify import (
    NS,
    CallRejected,
    CallUnavailable,
    ItemAnswer,
    LoginRefused,
    SessionInvalid,
    call_failure,
    httpx_errors,
    item_outcome,
    item_results,
    json_answer,
    retry_after,
    soap_errors,
)


def answer(status: int, body: object, headers: Mapping[str, str] | None = None) -> httpx.Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return httpx.Response(status, content=content, headers=headers)


def refusal(code: int) -> dict[str, object]:
    return {"error_code": code, "message": "refused", "result": None}


@pytest.mark.parametrize(
    ("status", "code", "verdict"),
    [
        (503, 31, CallUnavailable),  # unavailable / outage
        (503, 33, CallUnavailable),  # shutting down
        (500, 30, CallUnavailable),  # server error
        (429, 32, CallUnavailable),  # rate limited
        (401, 11, SessionInvalid),
        (401, 10, LoginRefused),
        (400, 20, CallRejected),  # bad request
        (400, 21, CallRejected),  # batch too large
        (413, 22, CallRejected),  # payload too large
        (200, 99, CallUnavailable),  # a call code this client does not know
    ],
)
def test_a_refused_call_is_classified_by_its_code(status, code, verdict):
    with pytest.raises(verdict) as caught:
        json_answer("DongBoHoSoMC", answer(status, refusal(code)))
    assert (caught.value.status, caught.value.error_code) == (status, code)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (502, CallUnavailable),
        (504, CallUnavailable),
        (401, SessionInvalid),
        (403, CallUnavailable),
        (404, CallUnavailable),
        (408, CallUnavailable),
        (409, CallRejected),
        (422, CallRejected),
    ],
)
def test_an_error_page_without_a_portal_code_is_classified_by_its_status(status, verdict):
    with pytest.raises(verdict):
        json_answer("TraCuuHoSo", answer(status, b"<html>proxy error</html>"))


def test_a_processed_call_answers_its_document_whether_all_or_some_items_were_accepted():
    for code in (0, 5):
        document = {"error_code": code, "message": "m", "result": []}
        assert json_answer("DongBoHoSoMC", answer(200, document)) == document


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"message": "no code"}', b'{"error_code": true}'])
def test_a_200_answer_that_is_not_the_protocol_is_portal_unavailable(body):
    with pytest.raises(PortalUnavailable, match="not valid"):
        json_answer("DongBoHoSoMC", answer(200, body))


def test_a_429_carries_its_retry_after_in_seconds():
    with pytest.raises(PortalUnavailable) as caught:
        json_answer("DongBoHoSoMC", answer(429, refusal(32), {"Retry-After": "3"}))
    assert caught.value.retry_after == 3.0


def test_retry_after_reads_delay_seconds_and_http_dates_and_ignores_garbage():
    assert retry_after({"Retry-After": "2"}) == 2.0
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 20.0 < retry_after({"Retry-After": future}) <= 30.0
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert retry_after({"Retry-After": past}) == 0.0
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None
    assert retry_after(None) is None


def test_transient_and_permanent_verdicts_are_the_gateways_error_classes():
    assert isinstance(call_failure("x", status=503, error_code=31, message=""), PortalUnavailable)
    assert isinstance(call_failure("x", status=401, error_code=10, message=""), PortalUnavailable)
    assert isinstance(call_failure("x", status=400, error_code=21, message=""), PortalRejected)


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (0, ItemOutcome.OK),
        (2, ItemOutcome.EXISTS),
        (3, ItemOutcome.NOT_FOUND),
        (1, ItemOutcome.REFUSED),
        (4, ItemOutcome.REFUSED),  # a code added after this client (e.g. unknown procedure)
        (5, ItemOutcome.REFUSED),
        (-1, ItemOutcome.REFUSED),
    ],
)
def test_an_item_code_maps_to_its_outcome_and_every_unknown_code_is_refused(code, outcome):
    assert item_outcome(code) is outcome


def test_item_results_keep_the_sent_order_codes_and_messages():
    sent = ["A-1", "A-2"]
    answered = [ItemAnswer("A-1", 0, "inserted"), ItemAnswer("", 7, "unknown procedure 9.999999")]
    results = item_results("DongBoHoSoMC", sent, answered)
    assert [(r.ma_ho_so, r.outcome, r.code, r.message) for r in results] == [
        ("A-1", ItemOutcome.OK, 0, "inserted"),
        ("A-2", ItemOutcome.REFUSED, 7, "unknown procedure 9.999999"),
    ]


def test_item_answers_that_do_not_match_the_batch_in_number_are_portal_unavailable():
    with pytest.raises(PortalUnavailable, match="1 item outcome"):
        item_results("DongBoHoSoMC", ["A-1", "A-2"], [ItemAnswer("A-1", 0, "")])


def test_item_answers_for_other_dossiers_than_were_sent_are_portal_unavailable():
    with pytest.raises(PortalUnavailable, match="another dossier"):
        item_results("DongBoHoSoMC", ["A-1", "A-2"], [ItemAnswer("A-2", 0, ""), ItemAnswer("A-1", 0, "")])


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("cut"),
    ],
)
def test_httpx_network_errors_and_timeouts_are_portal_unavailable_with_the_cause_kept(error):
    with pytest.raises(PortalUnavailable) as caught, httpx_errors("DongBoHoSoMC"):
        raise error
    assert caught.value.__cause__ is error


class Recorder:
    """Stands in for the zeep transport's record of the last reply."""

    def __init__(self, status: int | None = None, headers: Mapping[str, str] | None = None) -> None:
        self.reply = (status, headers)
        self.status: int | None = None
        self.headers: Mapping[str, str] | None = None

    def forget(self) -> None:
        self.status, self.headers = None, None

    def replied(self) -> None:
        self.status, self.headers = self.reply


def reply_then_raise(recorder: Recorder, error: Exception) -> None:
    """The reply arrived (status and headers recorded), then zeep raised ``error`` reading it."""
    recorder.replied()
    raise error


def fault(code: int, faultcode: str = "soap:Client") -> zeep.exceptions.Fault:
    detail = etree.fromstring(
        f'<detail><LoiDichVu xmlns="{NS}">'
        f"<ErrorCode>{code}</ErrorCode><Reason>r</Reason></LoiDichVu></detail>"
    )
    return zeep.exceptions.Fault("refused", code=faultcode, detail=detail)


@pytest.mark.parametrize(
    ("status", "code", "verdict"),
    [
        (401, 11, SessionInvalid),
        (401, 10, LoginRefused),
        (400, 21, CallRejected),
        (413, 22, CallRejected),
        (503, 31, CallUnavailable),
        (500, 30, CallUnavailable),
    ],
)
def test_a_soap_fault_is_classified_by_the_error_code_in_its_detail(status, code, verdict):
    recorder = Recorder(status)
    with pytest.raises(verdict) as caught, soap_errors("DongBoHoSoMC", recorder):
        reply_then_raise(recorder, fault(code, "soap:Server" if status >= 500 else "soap:Client"))
    assert caught.value.error_code == code


def test_a_soap_429_fault_carries_the_retry_after_of_its_http_reply():
    recorder = Recorder(429, {"Retry-After": "2"})
    with pytest.raises(PortalUnavailable) as caught, soap_errors("DongBoHoSoMC", recorder):
        reply_then_raise(recorder, fault(32))
    assert caught.value.retry_after == 2.0


def test_a_soap_fault_without_a_detail_or_a_status_is_judged_by_its_fault_code():
    with pytest.raises(PortalRejected), soap_errors("TraCuuHoSo", Recorder()):
        raise zeep.exceptions.Fault("bad", code="soap:Client")
    with pytest.raises(PortalUnavailable), soap_errors("TraCuuHoSo", Recorder()):
        raise zeep.exceptions.Fault("Unknown fault occured", code=None, detail="<html/>")


def test_an_empty_or_non_xml_soap_reply_is_classified_by_its_status():
    with pytest.raises(PortalUnavailable), soap_errors("TraCuuHoSo", Recorder()):
        raise zeep.exceptions.TransportError("empty", status_code=502)
    with pytest.raises(PortalRejected), soap_errors("TraCuuHoSo", Recorder()):
        raise zeep.exceptions.TransportError("empty", status_code=400)
    with pytest.raises(PortalUnavailable, match="not valid"), soap_errors("TraCuuHoSo", Recorder()):
        raise zeep.exceptions.TransportError("invalid XML", status_code=200, content=b"<html")


@pytest.mark.parametrize(
    "error",
    [requests.ConnectionError("refused"), requests.ReadTimeout("slow"), requests.ConnectTimeout("slow")],
)
def test_requests_network_errors_and_timeouts_are_portal_unavailable(error):
    with pytest.raises(PortalUnavailable) as caught, soap_errors("DongBoHoSoMC", Recorder()):
        raise error
    assert caught.value.__cause__ is error


def test_a_soap_request_zeep_cannot_build_is_rejected_and_a_reply_it_cannot_read_is_unavailable():
    with pytest.raises(PortalRejected, match="cannot be built"), soap_errors("DongBoHoSoMC", Recorder()):
        raise zeep.exceptions.ValidationError("Missing element MaTTHC")
    recorder = Recorder(200)
    with pytest.raises(PortalUnavailable, match="not valid"), soap_errors("DongBoHoSoMC", recorder):
        reply_then_raise(recorder, zeep.exceptions.XMLParseError("unexpected element"))
