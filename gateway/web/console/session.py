"""The console's session: a small signed cookie naming the operator and holding the form token.

Starlette's ``SessionMiddleware`` needs ``itsdangerous``, which is not a dependency, so the cookie
is signed here with the standard library: ``<payload>.<signature>``, the payload being base64url
JSON ``{"u": operator or null, "c": form token, "t": issued (Unix seconds)}`` and the signature
HMAC-SHA256 of the payload under a key drawn at random when the console starts (so restarting the
daemon signs everyone out; nothing is stored server-side). A cookie whose signature does not
verify, that does not parse, or that is older than ``MAX_AGE_S`` is no session at all.

Every visitor gets a session, signed in or not, so the login form carries a form token too (no
login CSRF). Signing in issues a new session with a new token (no fixation). The cookie is
``HttpOnly``, ``SameSite=Strict`` (a browser sends it on no request another site starts),
``Secure`` when the console is reached over HTTPS, and scoped to the console's path.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import orjson

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
        self._key = key or secrets.token_bytes(32)

    def _mac(self, payload: bytes) -> str:
        digest = hmac.new(self._key, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def dump(self, session: Session) -> str:
        """The cookie's value for ``session``."""
        document = {"u": session.user, "c": session.csrf, "t": session.issued}
        payload = base64.urlsafe_b64encode(orjson.dumps(document)).rstrip(b"=")
        return f"{payload.decode('ascii')}.{self._mac(payload)}"

    def load(self, value: str | None, *, now: float | None = None) -> Session | None:
        """The session in a cookie's ``value``; None if absent, forged, malformed or expired."""
        if not value or value.count(".") != 1:
            return None
        payload_text, signature = value.split(".")
        payload = payload_text.encode("ascii", errors="replace")
        if not hmac.compare_digest(self._mac(payload), signature):
            return None
        try:
            document = orjson.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
            user, csrf, issued = document["u"], document["c"], document["t"]
        except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None
        if not (user is None or isinstance(user, str)) or not isinstance(csrf, str):
            return None
        if not isinstance(issued, int) or issued + MAX_AGE_S < (time.time() if now is None else now):
            return None
        return Session(user, csrf, issued)
