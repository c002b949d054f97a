"""The simulated portal's error codes: what ``error_code`` (JSON) and ``ErrorCode`` (SOAP) mean.

The real portal answers ``error_code`` 0 for success and some other number otherwise; no public
source lists its numbers, so these are our own, stable and documented in ``docs/portal-sim.md``.
Item codes (1-9) describe the fate of one item of a batch; call codes (10 and up) describe the
whole call, which then carries no item outcomes. Each code has an HTTP status (for a call) and a
short machine-readable reason (the SOAP fault's ``Reason`` and the stats' ``refused_by_reason``).
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    """Numbers of ``error_code``; 0 is success."""

    OK = 0
    # --- the fate of one item of a batch -------------------------------------------------------
    INVALID_RECORD = 1
    """The record breaks the national schema; the message names the field and the reason."""
    ALREADY_EXISTS = 2
    """An insert (``isUpdating`` "False") of a MaHoSo the portal already holds."""
    NOT_FOUND = 3
    """An update of a MaHoSo the portal does not hold, or history for an unknown dossier."""
    UNKNOWN_PROCEDURE = 4
    """A dossier of a procedure (``MaTTHC``) the portal's catalogue does not list: refused for good."""
    SOME_ITEMS_REFUSED = 5
    """Call-level summary: the batch was processed but at least one item was refused."""
    # --- the whole call ------------------------------------------------------------------------
    AUTH_FAILED = 10
    """Wrong username or password (HTTP 401)."""
    SESSION_INVALID = 11
    """Missing, unknown or expired session (HTTP 401): log in again."""
    BAD_REQUEST = 20
    """The request is malformed: not JSON/XML, wrong envelope, unknown service (HTTP 400)."""
    BATCH_TOO_LARGE = 21
    """More items than the configured batch maximum (HTTP 400)."""
    PAYLOAD_TOO_LARGE = 22
    """The body is larger than the configured maximum (HTTP 413)."""
    NOT_EXPRESSIBLE = 23
    """A SOAP look-up of a record the XSD cannot carry: one accepted in tolerant mode without a
    field the SOAP binding requires (``KenhThucHien``); it is answered over JSON (HTTP 409)."""
    SERVER_ERROR = 30
    """An (injected) internal error (HTTP 500)."""
    UNAVAILABLE = 31
    """The portal is (made) unavailable: injected 503 or outage (HTTP 503)."""
    RATE_LIMITED = 32
    """Too many calls per second (HTTP 429 with Retry-After)."""
    SHUTTING_DOWN = 33
    """The simulator is stopping; a hung call is released with this (HTTP 503)."""

    @property
    def reason(self) -> str:
        """The code's stable machine-readable name, e.g. ``already_exists``."""
        return self.name.lower()

    @property
    def http_status(self) -> int:
        """The HTTP status of a call answered with this code."""
        return _HTTP_STATUS.get(self, 200)


_HTTP_STATUS = {
    ErrorCode.AUTH_FAILED: 401,
    ErrorCode.SESSION_INVALID: 401,
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.BATCH_TOO_LARGE: 400,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.NOT_EXPRESSIBLE: 409,
    ErrorCode.SERVER_ERROR: 500,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.SHUTTING_DOWN: 503,
}


class CallRefused(Exception):
    """A whole call is refused with ``code``; the transports render it (JSON body or SOAP fault).

    ``retry_after_s`` becomes a ``Retry-After`` header (429).
    """

    def __init__(self, code: ErrorCode, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s

    @property
    def status(self) -> int:
        return self.code.http_status
