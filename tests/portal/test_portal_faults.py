"""The portal client when the simulated portal misbehaves, over both bindings: what is transient,
what is permanent, how often it calls, and that expired sessions and 429s are handled in passing."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from gateway.errors import PortalRejected, PortalUnavailable
from gateway.portal import ItemOutcome, make_client
from gateway.sim import samples
from gateway.sim.process import free_port
from tests.polling import wait_until

AGENCY = samples.AGENCY


def sync_one(client, n=1):
    return client.sync_dossiers([samples.dossier(n)], update=False, madonvi=AGENCY)


def test_an_expired_session_is_renewed_and_the_call_repeated_without_a_failed_attempt(make_portal, sim):
    client = make_portal(call_attempts=1)
    assert client.lookup(samples.ma_ho_so(1)) is None  # logs in
    probe = sim.login()  # younger than the client's session
    sim.set_faults(session_ttl_s=1)
    wait_until(lambda: not sim.session_is_valid(probe), "the probe session never expired")
    refused_before = sim.refusals("session_invalid")
    [result] = sync_one(client)
    assert result.outcome is ItemOutcome.OK
    assert sim.refusals("session_invalid") == refused_before + 1


def test_a_session_refused_again_after_logging_in_again_is_portal_unavailable_not_a_login_loop(
    make_portal, sim
):
    client = make_portal(call_attempts=1)
    sim.set_faults(session_ttl_s=0)  # every session, even a new one, is expired
    with pytest.raises(PortalUnavailable):
        sync_one(client)
    assert sim.refusals("session_invalid") == 2


def test_an_outage_is_portal_unavailable_after_exactly_call_attempts_calls(make_portal, sim):
    client = make_portal(call_attempts=3)
    assert client.lookup(samples.ma_ho_so(1)) is None
    sim.set_faults(outage=True)
    with pytest.raises(PortalUnavailable) as caught:
        sync_one(client)
    assert caught.value.retry_after is None
    assert sim.faults("outage") == 3
    assert sim.stats()["dossiers"] == 0


def test_the_first_login_during_an_outage_is_also_tried_call_attempts_times(make_portal, sim):
    client = make_portal(call_attempts=2)
    sim.set_faults(outage=True)
    with pytest.raises(PortalUnavailable):
        sync_one(client)
    assert sim.faults("outage") == 2


def test_a_429_retry_after_is_waited_for_and_the_call_then_succeeds(make_portal, sim):
    client = make_portal(call_attempts=2, max_retry_after_s=5.0)
    assert client.lookup(samples.ma_ho_so(1)) is None  # logs in before the limit
    sim.set_faults(rate_limit_per_s=1)
    assert client.lookup(samples.ma_ho_so(1)) is None  # takes the one token
    with capture_logs() as logs:
        [result] = sync_one(client)
    assert result.outcome is ItemOutcome.OK
    assert sim.faults("rate_limited") == 1
    [retry] = [entry for entry in logs if entry["event"] == "portal call failed; retrying"]
    assert retry["wait_s"] >= 1.0
    assert (retry["status"], retry["error_code"], retry["attempt"]) == (429, 32, 1)


def test_a_retry_after_longer_than_max_retry_after_s_stops_at_once_and_carries_the_wait(make_portal, sim):
    client = make_portal(call_attempts=3, max_retry_after_s=0.5)
    assert client.lookup(samples.ma_ho_so(1)) is None
    sim.set_faults(rate_limit_per_s=1)
    assert client.lookup(samples.ma_ho_so(1)) is None
    with pytest.raises(PortalUnavailable) as caught:
        sync_one(client)
    assert caught.value.retry_after == 1.0
    assert sim.faults("rate_limited") == 1


def test_error_rate_one_is_portal_unavailable_after_call_attempts_calls(make_portal, sim):
    client = make_portal(call_attempts=3)
    assert client.lookup(samples.ma_ho_so(1)) is None
    sim.set_faults(error_rate=1.0)
    with pytest.raises(PortalUnavailable):
        sync_one(client)
    assert sim.stats()["faults_injected"] == 3


def test_a_call_that_never_answers_times_out_as_portal_unavailable(make_portal, sim):
    client = make_portal(call_attempts=2, timeout_s=0.5)
    sim.set_faults(hang_rate=1.0)
    with pytest.raises(PortalUnavailable, match="in time"):
        sync_one(client)
    assert sim.faults("hang") == 2


def test_a_wrong_password_is_portal_unavailable_not_portal_rejected_and_is_logged_loudly(make_portal, sim):
    client = make_portal(password="not-the-password", call_attempts=2)
    with capture_logs() as logs, pytest.raises(PortalUnavailable) as caught:
        sync_one(client)
    assert not isinstance(caught.value, PortalRejected)
    assert sim.refusals("auth_failed") == 2
    errors = [entry for entry in logs if entry["log_level"] == "error"]
    assert errors
    assert "DVCGW_PORTAL_PASSWORD" in errors[0]["event"]
    assert "not-the-password" not in repr(logs)


def test_a_batch_over_the_portals_maximum_is_portal_rejected_at_the_first_attempt(make_portal, sim):
    client = make_portal(call_attempts=3)
    records = [samples.dossier(n) for n in range(101)]
    with pytest.raises(PortalRejected, match="batch_too_large"):
        client.sync_dossiers(records, update=False, madonvi=AGENCY)
    assert sim.refusals("batch_too_large") == 1
    assert sim.stats()["dossiers"] == 0


def test_a_portal_nobody_listens_on_is_portal_unavailable(binding, portal_config):
    client = make_client(portal_config(binding, url=f"http://127.0.0.1:{free_port()}", call_attempts=2))
    try:
        with pytest.raises(PortalUnavailable, match="cannot reach"):
            sync_one(client)
    finally:
        client.close()
