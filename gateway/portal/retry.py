"""The short in-call retry of portal calls: a tenacity policy built from ``PortalConfig``.

Each public method of a portal client runs under this policy, and nothing else retries inside a
delivery (nested retries multiply attempts; the sync worker adds none). The policy:

* retries ``PortalUnavailable`` only; a ``PortalRejected`` or any other error goes out at once;
* stops after ``call_attempts`` attempts, re-raising the last error itself (``reraise``), so the
  worker sees ``PortalUnavailable`` with its ``retry_after``, never tenacity's ``RetryError``;
* waits ``wait_exponential_jitter(multiplier=backoff_initial_s, max=backoff_max_s,
  jitter=backoff_initial_s)`` between attempts, but never less than the portal's ``Retry-After``;
* stops at once when the portal asks to wait longer than ``max_retry_after_s``: waiting that long
  here would hold the worker's delivery (and its broker heartbeat); the worker parks the message
  in a broker retry tier instead.

Long waits belong to the broker's retry tiers; this one only smooths over blips.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base, wait_exponential_jitter

from gateway.config import PortalConfig
from gateway.errors import PortalUnavailable

log = structlog.get_logger(__name__)


def retry_policy(config: PortalConfig, operation: str) -> Retrying:
    """The retry policy of one portal operation (``operation`` names it in the log lines)."""
    return Retrying(
        stop=stop_after_attempt(config.call_attempts) | stop_if_retry_after_over(config.max_retry_after_s),
        wait=wait_at_least_retry_after(
            wait_exponential_jitter(
                multiplier=config.backoff_initial_s, max=config.backoff_max_s, jitter=config.backoff_initial_s
            )
        ),
        retry=retry_if_exception_type(PortalUnavailable),
        reraise=True,
        before_sleep=_log_retry(operation),
    )


class stop_if_retry_after_over(stop_base):
    """Stop when the last failure asked (Retry-After) for a longer wait than ``limit`` seconds."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        wait = _retry_after(retry_state)
        return wait is not None and wait > self.limit


class wait_at_least_retry_after(wait_base):
    """``backoff``'s wait, or the last failure's Retry-After when that is longer."""

    def __init__(self, backoff: wait_base) -> None:
        self.backoff = backoff

    def __call__(self, retry_state: RetryCallState) -> float:
        return max(self.backoff(retry_state), _retry_after(retry_state) or 0.0)


def _retry_after(retry_state: RetryCallState) -> float | None:
    outcome = retry_state.outcome
    error = outcome.exception() if outcome is not None and outcome.failed else None
    return error.retry_after if isinstance(error, PortalUnavailable) else None


def _log_retry(operation: str) -> Callable[[RetryCallState], None]:
    def before_sleep(retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        # The class, status and code only: messages may quote what the portal echoed of a record.
        log.warning(
            "portal call failed; retrying",
            operation=operation,
            attempt=retry_state.attempt_number,
            wait_s=round(retry_state.next_action.sleep, 3) if retry_state.next_action else None,
            error=type(error).__name__,
            status=getattr(error, "status", None),
            error_code=getattr(error, "error_code", None),
        )

    return before_sleep
