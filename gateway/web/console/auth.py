"""Who may use the console: one password from the environment, an operator's name, a brake on guessing.

The console has one shared password, ``$DVCGW_CONSOLE_PASSWORD`` (at least ``MIN_PASSWORD``
characters); without one the console does not start: every page says how to set it. An operator
signs in with their name and that password; the name is what a replay records
(``console:<name>``), as ``$DVCGW_OPERATOR`` is for ``dvcgw replay``. The password is compared in
constant time and never logged; after ``MAX_FAILURES`` failed sign-ins within ``WINDOW_S`` seconds
the console refuses every sign-in until the window has passed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections import deque
from collections.abc import Mapping

PASSWORD_ENV = "DVCGW_CONSOLE_PASSWORD"  # noqa: S105 - the variable's name, not a password
MIN_PASSWORD = 12
MAX_FAILURES = 10
WINDOW_S = 60.0
OPERATOR_PREFIX = "console:"
_NAME = re.compile(r"[\w.@-]{1,64}")


def configured_password(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The console's password, or None and why the console cannot start."""
    password = environ.get(PASSWORD_ENV, "")
    if not password:
        return None, f"no password is set: start the daemon with {PASSWORD_ENV} in its environment"
    if len(password) < MIN_PASSWORD:
        return None, f"{PASSWORD_ENV} is shorter than {MIN_PASSWORD} characters: choose a longer one"
    return password, None


def operator_name(name: str) -> str | None:
    """The name an operator typed, trimmed, if it is one (letters, digits, ``.@_-``, up to 64)."""
    name = name.strip()
    return name if _NAME.fullmatch(name) else None


def recorded_as(user: str) -> str:
    """Who a replay from the console records: ``console:<name>``."""
    return f"{OPERATOR_PREFIX}{user}"


class Gate:
    """Checks passwords, and refuses all sign-ins for a while after too many failures."""

    def __init__(self, password: str) -> None:
        self._digest = hashlib.sha256(password.encode()).digest()
        self._failures: deque[float] = deque()
        self._lock = threading.Lock()

    def locked(self, now: float | None = None) -> bool:
        """Whether sign-ins are refused now (too many recent failures)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._failures and self._failures[0] <= now - WINDOW_S:
                self._failures.popleft()
            return len(self._failures) >= MAX_FAILURES

    def check(self, password: str, now: float | None = None) -> bool:
        """Whether ``password`` is the console's; a wrong one counts as a failure."""
        given = hashlib.sha256(password.encode(errors="replace")).digest()
        if hmac.compare_digest(given, self._digest):
            return True
        with self._lock:
            self._failures.append(time.monotonic() if now is None else now)
        return False
