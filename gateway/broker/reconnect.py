"""The reconnect policy for the daemon's broker connections (publisher, consumers).

pika never reconnects by itself. The daemon wraps the construction of a ``BatchPublisher`` or a
``Consumer`` (which connect, declare the topology, and subscribe last) in ``reconnecting()``::

    publisher = reconnecting(stop=shutdown)(BatchPublisher, config.broker, topology)

Only ``BrokerUnavailable`` is retried, with a full-jitter exponential backoff (a random wait in a
window doubling from ``initial_s`` up to ``max_s``), so a fleet of workers does not hit a restarted
broker all in the same instant. A ``BrokerError`` (refused login, inequivalent queue arguments) is
raised at once: retrying cannot fix it. Each wait logs one ``broker.reconnect_wait`` line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog
import tenacity

from gateway.errors import BrokerUnavailable

log = structlog.get_logger(__name__)


def reconnecting(
    *,
    initial_s: float = 0.5,
    max_s: float = 30.0,
    give_up_after_s: float | None = None,
    stop: threading.Event | None = None,
    errors: tuple[type[BaseException], ...] = (BrokerUnavailable,),
) -> tenacity.Retrying:
    """A tenacity ``Retrying`` that retries ``errors`` (``BrokerUnavailable``) until it succeeds.

    ``give_up_after_s`` bounds the total time (the last error is then raised); ``stop`` is the
    daemon's shutdown event: the wait is cut short when it is set and the last error is raised.
    """
    stops: list[tenacity.stop.stop_base] = []
    if give_up_after_s is not None:
        stops.append(tenacity.stop_before_delay(give_up_after_s))
    if stop is not None:
        stops.append(tenacity.stop_when_event_set(stop))
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(errors),
        wait=tenacity.wait_random_exponential(multiplier=initial_s, min=initial_s, max=max_s),
        stop=tenacity.stop_any(*stops) if stops else tenacity.stop_never,
        sleep=_interruptible(stop) if stop is not None else tenacity.nap.sleep,
        before_sleep=_log_wait,
        reraise=True,
    )


def _interruptible(stop: threading.Event) -> Callable[[float], None]:
    """A sleep that ends early when ``stop`` is set (the daemon is shutting down)."""

    def sleep(seconds: float) -> None:
        stop.wait(seconds)

    return sleep


def _log_wait(state: tenacity.RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else state.upcoming_sleep
    log.warning(
        "broker.reconnect_wait", attempt=state.attempt_number, wait_s=round(wait, 2), error=str(error)
    )
