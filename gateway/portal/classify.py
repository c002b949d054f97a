"""What every portal answer means: success, a transient failure, a permanent refusal, or a re-login.

The one place where the portal client judges answers, for both bindings and for the retry policy
that acts on the verdict. The portal's codes are those of docs/portal-sim.md (the contract we
target; the simulator is a peer, so its code is not imported here). The verdicts::

    success          HTTP 200 with error_code 0 (all accepted) or 5 (read each item)
    SessionInvalid   401 / error_code 11: log in again once and repeat the call at once
    CallUnavailable  transient, retried (PortalUnavailable):
                       connect/read errors, timeouts, 5xx, 503 outage/unavailable/shutting_down (31, 33),
                       500 server_error (30), 429 rate_limited (32, with Retry-After),
                       401 auth_failed (10, as LoginRefused: a wrong password must not dead-letter
                       every dossier; it is logged loudly instead), 403/404/408,
                       an answer that is not the protocol's (invalid JSON or XML, items not matching
                       the batch), an error code this client does not know
    CallRejected     permanent for this call (PortalRejected): 400 bad_request (20),
                       21 batch_too_large, 413 payload_too_large (22), 409 not_expressible (23: a
                       SOAP look-up of a record the XSD cannot carry), other 4xx, and a SOAP request
                       that zeep cannot build from the records

Per item of a batch: 0 OK, 2 EXISTS, 3 NOT_FOUND, anything else (1 invalid_record, an unknown
procedure, codes added later) REFUSED with the portal's message.

The coordination generation ("hệ thống điều phối": bare JSON arrays, no session; docs/portal-sim.md,
"Coordination API") is judged by its Vietnamese words, as its own clients judge it. Its call
answers: HTTP 200 holds one outcome per item in ``result`` (the call's own ``error_code`` is only the
first refused item's, so it is not read); any other status is judged as above, except that a 401
(there is no session to renew) is ``CallUnavailable``. Its items, the message compared in NFC and
case-folded::

    EXISTS     error_code 0, 3 or -3 and "đã tồn tại" (a history entry: OK, already recorded)
    OK         error_code 0 and "thành công", and not "không thành công"
    NOT_FOUND  error_code other than 0 and "chưa có trên hệ thống"
    REFUSED    anything else, with the portal's message

Foreign exceptions (httpx, requests, zeep, orjson) are wrapped here, ``raise ... from exc``, by the
context managers ``httpx_errors`` and ``soap_errors`` and by ``encode_json``; the bindings never
wrap one themselves.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import IntEnum
from typing import Any, NamedTuple, Protocol

import httpx
import orjson
import requests
import zeep.exceptions
from lxml import etree

from gateway.errors import PortalRejected, PortalUnavailable
from gateway.portal.interface import ItemOutcome, ItemResult

NS = "urn:dvc-gateway:dvcqg:1"
"""The namespace of the SOAP binding's elements, fault details included."""


class PortalCode(IntEnum):
    """The portal's ``error_code`` numbers (docs/portal-sim.md, "Error codes")."""

    OK = 0
    INVALID_RECORD = 1
    ALREADY_EXISTS = 2
    NOT_FOUND = 3
    SOME_ITEMS_REFUSED = 5
    AUTH_FAILED = 10
    SESSION_INVALID = 11
    BAD_REQUEST = 20
    BATCH_TOO_LARGE = 21
    PAYLOAD_TOO_LARGE = 22
    NOT_EXPRESSIBLE = 23
    SERVER_ERROR = 30
    UNAVAILABLE = 31
    RATE_LIMITED = 32
    SHUTTING_DOWN = 33


ANSWERED = frozenset({PortalCode.OK, PortalCode.SOME_ITEMS_REFUSED})
"""Call codes of a processed call: the answer holds the result."""

_REJECTED_CODES = frozenset(
    {
        PortalCode.BAD_REQUEST,
        PortalCode.BATCH_TOO_LARGE,
        PortalCode.PAYLOAD_TOO_LARGE,
        PortalCode.NOT_EXPRESSIBLE,
    }
)
_UNAVAILABLE_CODES = frozenset(
    {PortalCode.SERVER_ERROR, PortalCode.UNAVAILABLE, PortalCode.RATE_LIMITED, PortalCode.SHUTTING_DOWN}
)
# 4xx answers that say the endpoint or the account is wrong, the same for every dossier: holding
# the backlog back until an operator fixes it beats dead-lettering all of it.
_UNAVAILABLE_4XX = frozenset({401, 403, 404, 408, 429})
_ITEM_OUTCOMES = {
    PortalCode.OK: ItemOutcome.OK,
    PortalCode.ALREADY_EXISTS: ItemOutcome.EXISTS,
    PortalCode.NOT_FOUND: ItemOutcome.NOT_FOUND,
}


class CallUnavailable(PortalUnavailable):
    """A transient failure of one portal call, with the HTTP status and portal code if it answered."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        error_code: int | None = None,
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.status = status
        self.error_code = error_code


class SessionInvalid(CallUnavailable):
    """The session is missing, unknown or expired (401 / 11): log in again and repeat the call."""


class LoginRefused(CallUnavailable):
    """The portal refused the username or password (401 / 10). Transient on purpose: every call
    would fail alike, so the backlog waits for an operator instead of going dead."""


class CallRejected(PortalRejected):
    """A portal call refused for good, with the HTTP status and portal code if it answered."""

    def __init__(self, message: str, *, status: int | None = None, error_code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class ItemAnswer(NamedTuple):
    """One item outcome as the portal wrote it, before classification."""

    ma_ho_so: str
    code: int
    message: str


# ---- call-level verdicts -------------------------------------------------------------------------


def call_failure(
    operation: str,
    *,
    status: int | None,
    error_code: int | None,
    message: str,
    retry_after: float | None = None,
) -> CallUnavailable | CallRejected:
    """The exception for a call the portal answered with an error (the code decides, else the status)."""
    what = f"{operation}: {_describe(status, error_code)}: {message}"
    known = _known(error_code)
    if known is PortalCode.SESSION_INVALID or (known is None and status == 401):
        return SessionInvalid(what, status=status, error_code=error_code)
    if known is PortalCode.AUTH_FAILED:
        return LoginRefused(what, status=status, error_code=error_code)
    if known in _REJECTED_CODES:
        return CallRejected(what, status=status, error_code=error_code)
    if known in _UNAVAILABLE_CODES:
        return CallUnavailable(what, retry_after=retry_after, status=status, error_code=error_code)
    if status is not None and 400 <= status < 500 and status not in _UNAVAILABLE_4XX:
        return CallRejected(what, status=status, error_code=error_code)
    # 5xx, 403/404/408/429, or a code or status this client does not know: wait and try again.
    return CallUnavailable(what, retry_after=retry_after, status=status, error_code=error_code)


def invalid_answer(operation: str, why: str, *, status: int | None = None) -> CallUnavailable:
    """The portal answered something that is not the protocol (a proxy's error page, a truncated
    body, items that do not match the batch): transient, since the call may not have been seen."""
    return CallUnavailable(f"{operation}: the portal's answer is not valid: {why}", status=status)


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or HTTP-date), None without one."""
    value = (headers or {}).get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = moment.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


# ---- item-level verdicts -------------------------------------------------------------------------


def item_outcome(code: int) -> ItemOutcome:
    """0 OK, 2 EXISTS, 3 NOT_FOUND; any other code (known or not) is a refusal of the item."""
    known = _known(code)
    return _ITEM_OUTCOMES.get(known, ItemOutcome.REFUSED) if known is not None else ItemOutcome.REFUSED


ItemJudge = Callable[[ItemAnswer], ItemOutcome]
"""How one API generation reads an item answer."""


def envelope_item(answer: ItemAnswer) -> ItemOutcome:
    """An item of the envelope API (JSON or SOAP): judged by its code alone (``item_outcome``)."""
    return item_outcome(answer.code)


def item_results(
    operation: str, sent: Sequence[str], answered: Sequence[ItemAnswer], judge: ItemJudge = envelope_item
) -> list[ItemResult]:
    """One ``ItemResult`` per sent MaHoSo, in order; an answer that does not line up is invalid.

    The portal echoes each item's MaHoSo (empty when the record had none): a different code in a
    position means the outcomes belong to other dossiers, and acting on them would mark the wrong
    dossiers as synced.
    """
    if len(answered) != len(sent):
        raise invalid_answer(operation, f"{len(answered)} item outcome(s) for {len(sent)} item(s) sent")
    results = []
    for position, (ma_ho_so, answer) in enumerate(zip(sent, answered, strict=True)):
        if answer.ma_ho_so and answer.ma_ho_so != ma_ho_so:
            raise invalid_answer(operation, f"item {position} answers for another dossier than was sent")
        results.append(ItemResult(ma_ho_so, judge(answer), answer.code, answer.message))
    return results


# ---- the JSON binding (httpx) --------------------------------------------------------------------


@contextmanager
def httpx_errors(operation: str) -> Iterator[None]:
    """Turn httpx's network errors and timeouts inside the block into ``CallUnavailable``."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise CallUnavailable(f"{operation}: no answer in time ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise CallUnavailable(f"{operation}: cannot reach the portal ({type(exc).__name__}: {exc})") from exc


def json_answer(operation: str, response: httpx.Response) -> dict[str, Any]:
    """The decoded answer of a call the portal processed (HTTP 200, ``error_code`` 0 or 5), else raise."""
    status = response.status_code
    try:
        document = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        if status == 200:
            raise invalid_answer(operation, "not JSON", status=status) from exc
        document = None  # an error page: the status speaks
    code = document.get("error_code") if isinstance(document, dict) else None
    if isinstance(code, bool) or not isinstance(code, int):
        code = None
    if status == 200 and code in ANSWERED and isinstance(document, dict):
        return document
    if status == 200 and code is None:
        raise invalid_answer(operation, "no integer error_code", status=status)
    message = document.get("message") if isinstance(document, dict) else None
    raise call_failure(
        operation,
        status=status,
        error_code=code,
        message=message if isinstance(message, str) else response.reason_phrase,
        retry_after=retry_after(response.headers),
    )


# ---- the coordination generation (httpx, bare arrays) ---------------------------------------------

COORDINATION_EXISTS_CODES = frozenset({0, 3, -3})
"""Item codes its clients accept with "đã tồn tại" (the simulator answers 3)."""
_SUCCESS = "thành công"
_FAILURE = "không thành công"
_EXISTS = "đã tồn tại"
_NOT_FOUND = "chưa có trên hệ thống"
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")


def coordination_dossier_item(answer: ItemAnswer) -> ItemOutcome:
    """An item of ``ThemMoiHoSo`` / ``CapNhatHoSo``, by its words (module docstring)."""
    text = _words(answer.message)
    if answer.code in COORDINATION_EXISTS_CODES and _EXISTS in text:
        return ItemOutcome.EXISTS
    return _coordination_common(answer.code, text)


def coordination_history_item(answer: ItemAnswer) -> ItemOutcome:
    """An item of ``DongBoTienTrinh``: an entry the portal already holds ("đã tồn tại") is OK, as
    the envelope API answers an identical entry OK ("already recorded")."""
    text = _words(answer.message)
    if answer.code in COORDINATION_EXISTS_CODES and _EXISTS in text:
        return ItemOutcome.OK
    return _coordination_common(answer.code, text)


def coordination_items(operation: str, response: httpx.Response, sent: int) -> list[ItemAnswer]:
    """The item answers of a coordination call the portal processed (HTTP 200), else raise.

    Without per-item outcomes (``result`` missing), a one-item call is judged by the call's own
    ``error_code`` and message, as the generation's clients judge it; a larger one is an invalid
    answer (nobody can tell which item the words are about).
    """
    status = response.status_code
    try:
        document = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        if status == 200:
            raise invalid_answer(operation, "not JSON", status=status) from exc
        document = None  # an error page: the status speaks
    code = _code(document.get("error_code")) if isinstance(document, dict) else None
    message = document.get("message") if isinstance(document, dict) else None
    if status != 200:
        failure = call_failure(
            operation,
            status=status,
            error_code=code,
            message=message if isinstance(message, str) else response.reason_phrase,
            retry_after=retry_after(response.headers),
        )
        if isinstance(failure, SessionInvalid):
            # No session to renew: the sharing platform in front of the API refused the caller.
            raise CallUnavailable(str(failure), status=status, error_code=code)
        raise failure
    if not isinstance(document, dict):
        raise invalid_answer(operation, "not a JSON object", status=status)
    result = document.get("result")
    if result is None and sent == 1 and code is not None:
        return [ItemAnswer("", code, message if isinstance(message, str) else "")]
    if not isinstance(result, list):
        raise invalid_answer(operation, "result is not a list of item outcomes", status=status)
    answers = []
    for item in result:
        item_code = _code(item.get("error_code")) if isinstance(item, dict) else None
        if item_code is None:
            raise invalid_answer(operation, "an item outcome has no integer error_code", status=status)
        ma_ho_so, text = item.get("MaHoSo"), item.get("message")
        answers.append(
            ItemAnswer(
                ma_ho_so if isinstance(ma_ho_so, str) else "",
                item_code,
                text if isinstance(text, str) else "",
            )
        )
    return answers


def _coordination_common(code: int, text: str) -> ItemOutcome:
    if code == 0 and _SUCCESS in text and _FAILURE not in text:
        return ItemOutcome.OK
    if code != 0 and _NOT_FOUND in text:
        return ItemOutcome.NOT_FOUND
    return ItemOutcome.REFUSED


def _words(message: str) -> str:
    # Vietnamese may arrive decomposed (NFD) or capitalised ("Thành công"): compare one form.
    return unicodedata.normalize("NFC", message).casefold()


def _code(value: Any) -> int | None:
    """An ``error_code`` as the generation writes it: an integer, or its decimal text ("-3")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    return None


# ---- the SOAP binding (zeep over requests) -------------------------------------------------------


class ReplyRecorder(Protocol):
    """What ``soap_errors`` needs of the zeep transport: the status and headers of the last reply
    (zeep's ``Fault`` carries neither, and a 429's Retry-After lives in the headers)."""

    status: int | None
    headers: Mapping[str, str] | None

    def forget(self) -> None: ...


@contextmanager
def soap_errors(operation: str, transport: ReplyRecorder) -> Iterator[None]:
    """Turn zeep's faults and errors and requests' network errors inside the block into verdicts."""
    transport.forget()
    try:
        yield
    except zeep.exceptions.Fault as exc:
        raise _fault(operation, exc, transport.status, retry_after(transport.headers)) from exc
    except zeep.exceptions.TransportError as exc:
        # An empty non-2xx reply, or a reply that is not XML.
        status = exc.status_code or transport.status
        if status == 200 or not status:
            raise invalid_answer(operation, "not XML", status=status) from exc
        raise call_failure(
            operation,
            status=status,
            error_code=None,
            message="no SOAP envelope in the reply",
            retry_after=retry_after(transport.headers),
        ) from exc
    except requests.Timeout as exc:
        raise CallUnavailable(f"{operation}: no answer in time ({type(exc).__name__})") from exc
    except requests.RequestException as exc:
        raise CallUnavailable(f"{operation}: cannot reach the portal ({type(exc).__name__}: {exc})") from exc
    except (zeep.exceptions.Error, TypeError, ValueError) as exc:
        # zeep raises its own errors, and TypeError/ValueError for values it cannot render.
        why = f"{type(exc).__name__}: {exc.message if isinstance(exc, zeep.exceptions.Error) else exc}"
        if transport.status is None:
            # Nothing was sent: zeep could not express the request in the WSDL's types.
            raise CallRejected(f"{operation}: the request cannot be built: {why}") from exc
        raise invalid_answer(operation, why, status=transport.status) from exc


def encode_json(operation: str, body: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> bytes:
    """The JSON request body; a value JSON cannot carry makes the call ``CallRejected`` (not sent)."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError as exc:
        raise CallRejected(f"{operation}: the request cannot be built: {exc}") from exc


def check_soap_reply(operation: str, code: int | None, message: str | None) -> None:
    """Refuse a SOAP reply whose own ``ErrorCode`` is not one of a processed call (0 or 5)."""
    if code not in ANSWERED:
        raise call_failure(operation, status=200, error_code=code, message=message or "")


def _fault(
    operation: str, fault: zeep.exceptions.Fault, status: int | None, wait: float | None
) -> CallUnavailable | CallRejected:
    code: int | None = None
    detail = fault.detail
    if isinstance(detail, etree._Element):
        text = detail.findtext(f"{{{NS}}}LoiDichVu/{{{NS}}}ErrorCode")
        if text is not None and text.strip().isdigit():
            code = int(text)
    if status is None and code is None:
        # Without a status or a code, only the fault code says whose fault it is.
        faultcode = str(fault.code or "")
        if faultcode.endswith("Client"):
            return CallRejected(f"{operation}: SOAP fault {faultcode}: {fault.message}")
        return CallUnavailable(f"{operation}: SOAP fault {faultcode or '(none)'}: {fault.message}")
    return call_failure(
        operation, status=status, error_code=code, message=str(fault.message), retry_after=wait
    )


def _known(code: int | None) -> PortalCode | None:
    if code is None:
        return None
    try:
        return PortalCode(code)
    except ValueError:
        return None


def _describe(status: int | None, error_code: int | None) -> str:
    parts = []
    if status is not None:
        parts.append(f"HTTP {status}")
    if error_code is not None:
        known = _known(error_code)
        parts.append(f"error_code {error_code}" + (f" ({known.name.lower()})" if known is not None else ""))
    return ", ".join(parts) or "no answer"
