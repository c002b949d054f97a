"""Login sessions of the simulated portal: who may call it, and for how long.

The real portal hands out a session token at login and wants it on every later call (in the body's
``session`` field; sharing platforms also use ``Authorization: Bearer``). The simulator accepts one
username/password pair (``DVCGW_SIM_USERNAME`` / ``DVCGW_SIM_PASSWORD``, defaults in config.yaml),
keeps sessions in its store so they survive a restart, and expires them after a lifetime that the
fault spec can shorten at run time (``session_ttl_s``, applied to sessions already handed out).

Tokens are stored and compared as SHA-256 digests, never in clear, and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.sim.store import SimStore

_KEEP_S = 86_400


@dataclass(frozen=True)
class Login:
    """A successful login: the token to send back, and its lifetime in seconds."""

    session: str
    expires_in: int


class Sessions:
    """Checks credentials, issues tokens and says whether a token is still good."""

    def __init__(
        self,
        store: SimStore,
        username: str,
        password: str,
        ttl_s: Callable[[], int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._username = username.encode()
        self._password = password.encode()
        self._ttl_s = ttl_s
        self._clock = clock

    def login(self, username: str, password: str) -> Login | None:
        """A new session for the right credentials, None for wrong ones."""
        # Both comparisons always run, in constant time: no hint of which half was wrong.
        user_ok = hmac.compare_digest(username.encode(), self._username)
        password_ok = hmac.compare_digest(password.encode(), self._password)
        if not (user_ok and password_ok):
            return None
        now = self._clock()
        ttl = self._ttl_s()
        # Housekeeping only: keep a day at least, so a briefly shortened TTL forgets nothing for good.
        self._store.purge_sessions(now - max(ttl, _KEEP_S))
        token = secrets.token_urlsafe(32)
        self._store.add_session(_digest(token), username, now)
        return Login(token, ttl)

    def valid(self, token: str) -> bool:
        """True while ``token`` names a session younger than the current lifetime."""
        if not token:
            return False
        created = self._store.session_created_at(_digest(token))
        return created is not None and self._clock() - created < self._ttl_s()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
