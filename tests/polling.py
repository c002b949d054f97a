"""Waiting for a condition in tests: poll it until a deadline, then fail loudly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def wait_until(
    condition: Callable[[], bool], failure: str, *, timeout: float = 5.0, every: float = 0.02
) -> None:
    """Return once ``condition()`` holds; fail with ``failure`` if it still does not after ``timeout``."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, failure
        pause.wait(every)
