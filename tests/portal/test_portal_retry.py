"""The retry policy and the session handling of a client, with scripted answers (httpx.MockTransport)."""

from __future__ import annotations

import dataclasses

import httpx
import orjson
import pytest
from structlog.testing import capture_logs
from tenacity import RetryCallState, Retrying

from gateway.config import PortalConfig
from gateway.errors import PortalRejected, PortalUnavailable
from gateway.portal import ItemOutcome, JsonPortalClient, make_client
from gateway.portal.classify import CallRejected, CallUnavailable
from gateway.portal.retry import stop_if_retry_after_over, wait_at_least_retry_after
from gateway.sim import samples

CONFIG = PortalConfig(
    url="http://portal.invalid",
    password="secret-password",
    madonvi=samples.AGENCY,
    timeout_s=7.5,
    call_attempts=3,
    backoff_initial_s=0.001,
    backoff_max_s=0.002,
    max_retry_after_s=5.0,
)
ACCEPTED = (
    200,
    {"error_code": 0, "message": "ok", "result": [{"MaHoSo": samples.ma_ho_so(1), "error_code": 0}]},
)


class ScriptedPortal:
    """Answers logins with fresh sessions and integration calls from a script (the last one repeats)."""

    def __init__(
        self, *answers: tuple[int, dict[str, object]], headers: dict[str, str] | None = None
    ) -> None:
        self.answers = list(answers)
        self.headers = headers or {}
        self.logins = 0
        self.calls: list[dict[str, object]] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/api/v1/login":
            self.logins += 1
            return httpx.Response(200, json={"error_code": 0, "session": f"s{self.logins}", "expires_in": 60})
        self.calls.append(orjson.loads(request.content))
        status, body = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return httpx.Response(status, json=body, headers=self.headers if status != 200 else None)


def client_of(portal: ScriptedPortal, **changes: object) -> JsonPortalClient:
    return JsonPortalClient(dataclasses.replace(CONFIG, **changes), transport=httpx.MockTransport(portal))


def sync_one(client: JsonPortalClient):
    return client.sync_dossiers([samples.dossier(1)], update=False, madonvi=samples.AGENCY)


def refused(code: int, status: int) -> tuple[int, dict[str, object]]:
    return (status, {"error_code": code, "message": "refused", "result": None})


def test_a_transient_failure_is_retried_until_the_call_succeeds():
    portal = ScriptedPortal(refused(31, 503), refused(30, 500), ACCEPTED)
    with client_of(portal) as client:
        [result] = sync_one(client)
    assert result.outcome is ItemOutcome.OK
    assert len(portal.calls) == 3


def test_a_lasting_transient_failure_is_raised_after_exactly_call_attempts_calls():
    portal = ScriptedPortal(refused(31, 503))
    with client_of(portal, call_attempts=2) as client, pytest.raises(PortalUnavailable):
        sync_one(client)
    assert len(portal.calls) == 2


def test_a_permanent_refusal_is_raised_at_once_without_a_retry():
    portal = ScriptedPortal(refused(20, 400))
    with client_of(portal) as client, pytest.raises(PortalRejected):
        sync_one(client)
    assert len(portal.calls) == 1


def test_an_expired_session_logs_in_again_and_repeats_the_call_without_spending_an_attempt():
    portal = ScriptedPortal(refused(11, 401), ACCEPTED)
    with client_of(portal, call_attempts=1) as client:
        [result] = sync_one(client)
    assert result.outcome is ItemOutcome.OK
    assert portal.logins == 2
    assert [call["session"] for call in portal.calls] == ["s1", "s2"]


def test_the_session_is_kept_between_calls():
    portal = ScriptedPortal(ACCEPTED)
    with client_of(portal) as client:
        sync_one(client)
        sync_one(client)
    assert portal.logins == 1


def test_every_call_carries_the_envelope_and_the_configured_timeout():
    portal = ScriptedPortal(ACCEPTED)
    with client_of(portal) as client:
        sync_one(client)
    call = portal.calls[0]
    assert {k: call[k] for k in ("session", "madonvi", "service", "isUpdating")} == {
        "session": "s1",
        "madonvi": samples.AGENCY,
        "service": "DongBoHoSoMC",
        "isUpdating": "False",
    }
    assert call["data"] == [samples.dossier(1)]
    for request in portal.requests:
        assert request.extensions["timeout"] == httpx.Timeout(7.5).as_dict()


def test_the_retry_log_line_says_attempt_wait_and_error_class_but_no_message():
    portal = ScriptedPortal(
        (503, {"error_code": 31, "message": "Nguyễn Văn Mẫu 001203000001", "result": None}), ACCEPTED
    )
    with client_of(portal) as client, capture_logs() as logs:
        sync_one(client)
    [line] = [entry for entry in logs if entry["event"] == "portal call failed; retrying"]
    assert (line["operation"], line["attempt"], line["error"]) == ("DongBoHoSoMC", 1, "CallUnavailable")
    assert (line["status"], line["error_code"]) == (503, 31)
    assert line["wait_s"] >= 0
    assert "Nguyễn" not in repr(logs)
    assert "secret-password" not in repr(logs)


def test_an_item_code_this_client_does_not_know_is_refused_with_the_portals_message():
    answer = {
        "error_code": 5,
        "message": "1 refused",
        "result": [{"MaHoSo": samples.ma_ho_so(1), "error_code": 4, "message": "unknown procedure 9.999999"}],
    }
    with client_of(ScriptedPortal((200, answer))) as client:
        [result] = sync_one(client)
    assert (result.outcome, result.code, result.message) == (
        ItemOutcome.REFUSED,
        4,
        "unknown procedure 9.999999",
    )


def test_make_client_refuses_an_httpx_transport_for_the_soap_binding():
    with pytest.raises(ValueError, match="JSON binding only"):
        make_client(
            dataclasses.replace(CONFIG, binding="soap"), transport=httpx.MockTransport(ScriptedPortal())
        )


def failed_state(error: BaseException, attempt: int = 1) -> RetryCallState:
    state = RetryCallState(retry_object=Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(error), error, None))
    return state


class Fixed:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, retry_state: RetryCallState) -> float:
        return self.seconds


def test_the_wait_is_never_shorter_than_the_portals_retry_after():
    wait = wait_at_least_retry_after(Fixed(0.2))  # type: ignore[arg-type]
    assert wait(failed_state(CallUnavailable("429", retry_after=3.0))) == 3.0
    assert wait(failed_state(CallUnavailable("503"))) == 0.2
    assert wait(failed_state(CallUnavailable("429", retry_after=0.1))) == 0.2


def test_a_retry_after_over_the_limit_stops_at_once():
    stop = stop_if_retry_after_over(5.0)
    assert stop(failed_state(CallUnavailable("429", retry_after=6.0)))
    assert not stop(failed_state(CallUnavailable("429", retry_after=5.0)))
    assert not stop(failed_state(CallUnavailable("503")))
    assert not stop(failed_state(CallRejected("400")))


def test_a_record_json_cannot_carry_is_rejected_and_not_sent():
    portal = ScriptedPortal(ACCEPTED)
    record = samples.dossier(1)
    record["GhiChu"] = {1, 2}  # a set: no JSON for it
    with client_of(portal) as client, pytest.raises(PortalRejected, match="cannot be built"):
        client.sync_dossiers([record], update=False, madonvi=samples.AGENCY)
    assert portal.calls == []
