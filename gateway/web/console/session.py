"""The console's session: a small signed cookie naming the operator and holding the form token.

The cookie is ``itsdangerous``'s URL-safe signed serialisation (the library behind Starlette's own
sessions) of ``{"u": operator or null, "c": form token, "t": issued (Unix seconds)}``, under a key
drawn at random when the console starts (so restarting the daemon signs everyone out; nothing is
stored server-side). A cookie whose signature does not verify, that does not parse, or that is
older than ``MAX_AGE_S`` is no session at all.

Every visitor gets a session, signed in or not, so the login form carries a form token too (no
login CSRF). Signing in issues a new session with a new token (no fixation). The cookie is
``HttpOnly``, ``SameSite=Strict`` (a browser sends it on no request another site starts),
``Secure`` when the console is reached over HTTPS, and scoped to the console's path.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeSerializer

COOKIE = "dvcgw_console"
MAX_AGE_S = 8 * 3600
"""A session lasts a working day at most; then the operator signs in again."""


@dataclass(frozen=True)
class Session:
    """Who is signed in (``user`` None: nobody yet), the form token, and when it was issued."""

    user: str | None
    csrf: str
    issued: int

    @classmethod
    def fresh(cls, user: str | None = None) -> Session:
        return cls(user, secrets.token_urlsafe(32), int(time.time()))


class Signer:
    """Signs and verifies session cookies with one process-wide random key."""

    def __init__(self, key: bytes | None = None) -> None:
        self._serializer = URLSafeSerializer(key or secrets.token_bytes(32), salt="dvcgw-console-session")

    def dump(self, session: Session) -> str:
        """The cookie's value for ``session``."""
        return self._serializer.dumps({"u": session.user, "c": session.csrf, "t": session.issued})

    def load(self, value: str | None, *, now: float | None = None) -> Session | None:
        """The session in a cookie's ``value``; None if absent, forged, malformed or expired."""
        if not value:
            return None
        try:
            document = self._serializer.loads(value)
            user, csrf, issued = document["u"], document["c"], document["t"]
        except (BadData, KeyError, TypeError):
            return None
        if not (user is None or isinstance(user, str)) or not isinstance(csrf, str):
            return None
        if not isinstance(issued, int) or issued + MAX_AGE_S < (time.time() if now is None else now):
            return None
        return Session(user, csrf, issued)
