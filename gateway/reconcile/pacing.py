"""Pacing: at most ``rate_per_s`` portal calls per second from one reconciliation run.

Reconciliation asks the portal about every dossier of its window, beside the sync workers that
deliver; the national portal enforces quotas (429) and is shared by every province. A token bucket
keeps the run under ``reconcile.rate_per_s`` on average with short bursts of at most one second's
worth. None of the libraries the gateway uses offers one: tenacity retries and waits after a
failure (the portal client's 429 handling is already tenacity's), it does not pace successes;
httpx and zeep have connection limits, not call rates. So this is the small class it takes.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Blocks ``take()`` so that calls average at most ``rate_per_s`` per second; a rate of 0 (or
    less) never blocks. ``burst``: calls allowed back to back after an idle spell (default: one
    second's worth, at least 1). ``wait(seconds)`` sleeps: pass ``stop_event.wait`` so that a stop
    interrupts it (``take`` then returns early and the caller checks its stop event)."""

    def __init__(
        self,
        rate_per_s: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float], object] = time.sleep,
    ) -> None:
        self.rate = rate_per_s
        self.burst = max(1.0, burst if burst is not None else rate_per_s)
        self._clock = clock
        self._wait = wait
        self._tokens = self.burst
        self._last = clock()

    def take(self) -> None:
        """Take one token, waiting for it if none is left."""
        if self.rate <= 0:
            return
        self._refill()
        if self._tokens < 1.0:
            self._wait((1.0 - self._tokens) / self.rate)
            self._refill()
        self._tokens -= 1.0

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
