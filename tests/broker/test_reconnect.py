"""The reconnect policy: retry BrokerUnavailable with backoff, nothing else."""

from __future__ import annotations

import threading

import pytest
from structlog.testing import capture_logs

from gateway.broker.reconnect import reconnecting
from gateway.errors import BrokerError, BrokerUnavailable


class Flaky:
    """Fails with ``error`` the first ``failures`` calls, then returns ``"connected"``."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "connected"


def test_broker_unavailable_is_retried_until_the_connection_succeeds() -> None:
    flaky = Flaky(3, BrokerUnavailable("RabbitMQ at 127.0.0.1:5672: refused"))
    assert reconnecting(initial_s=0.001, max_s=0.005)(flaky) == "connected"
    assert flaky.calls == 4


def test_a_broker_error_is_raised_at_once_without_retrying() -> None:
    flaky = Flaky(1, BrokerError("refused the login"))
    with pytest.raises(BrokerError, match="refused the login"):
        reconnecting(initial_s=0.001, max_s=0.005)(flaky)
    assert flaky.calls == 1


def test_each_wait_logs_one_line_with_the_attempt_and_the_error() -> None:
    flaky = Flaky(2, BrokerUnavailable("node down"))
    with capture_logs() as logs:
        reconnecting(initial_s=0.001, max_s=0.005)(flaky)
    waits = [entry for entry in logs if entry["event"] == "broker.reconnect_wait"]
    assert [entry["attempt"] for entry in waits] == [1, 2]
    assert waits[0]["error"] == "node down"
    assert waits[0]["log_level"] == "warning"


def test_giving_up_raises_the_last_broker_unavailable_itself() -> None:
    flaky = Flaky(10**6, BrokerUnavailable("still down"))
    with pytest.raises(BrokerUnavailable, match="still down"):
        reconnecting(initial_s=0.001, max_s=0.005, give_up_after_s=0.05)(flaky)


def test_a_set_shutdown_event_stops_the_retries() -> None:
    shutdown = threading.Event()
    shutdown.set()
    flaky = Flaky(10**6, BrokerUnavailable("still down"))
    with pytest.raises(BrokerUnavailable, match="still down"):
        reconnecting(initial_s=10.0, max_s=30.0, stop=shutdown)(flaky)
    assert flaky.calls == 1
