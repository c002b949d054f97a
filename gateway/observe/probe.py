"""Is the national portal answering? Asked the way the configured API generation allows.

For the readiness check (``/readyz`` and ``dvcgw check``, through ``gateway.observe.readiness``) and
the daemon's start-up check (``probe_portal``). What proves that the portal answers:

- **envelope API** (``portal.api: envelope``): a ``TraCuuHoSo`` of ``PROBE_CODE``, a code no agency
  issues, logged in (the answer "not held" is a success: the portal answered). Without
  ``DVCGW_PORTAL_PASSWORD`` the client cannot be made (``ConfigError`` naming the variable).
- **coordination generation** (``portal.api: coordination``): it has no look-up and needs no
  credentials, so the probe asks what delivery uses: a ``POST`` of an empty JSON array ``[]`` to
  the insert URL (``portal.coordination_insert_path``). An empty batch carries no dossier, so
  nothing changes at the portal. The answer counts when it is the coordination system judging the
  body: ``400`` (the simulator refuses an empty batch, ``error_code`` 20) or ``2xx`` (a system that
  accepts it as nothing to do). Anything else is named with its status and message: no
  connection or no answer in time, ``5xx`` and ``503`` outages, ``429``, ``404``/``405`` (no
  such URL: check the path), ``401``/``403`` (the sharing platform in front refuses this host).
  When ``DVCGW_PORTAL_PASSWORD`` is set as well, reconciliation and ``dvcgw trace`` look dossiers
  up at the envelope API at ``portal.url``: that look-up is asked too, and both must answer.

A ``PortalProbe`` keeps its clients between questions (the envelope client stays logged in) and is
used by one thread; a client that failed is dropped and made again at the next question.
"""

from __future__ import annotations

import dataclasses
from types import TracebackType
from typing import Self

import httpx
import orjson

from gateway.config import PortalConfig
from gateway.portal import PortalClient, make_client
from gateway.portal.classify import call_failure, httpx_errors, retry_after
from gateway.portal.coordination import INSERT

PROBE_CODE = "000.00.00.H00-000101-0000"
"""The dossier code the envelope API is asked about: well-formed, and issued by no agency."""
EMPTY_BATCH = b"[]"
_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class PortalProbe:
    """Asks the portal whether it answers (see the module); ``ask`` says what answered or raises
    (``PortalError`` subclasses; ``ConfigError`` when the configuration cannot work)."""

    def __init__(self, config: PortalConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport
        self._client: PortalClient | None = None
        self._http: httpx.Client | None = None

    def ask(self) -> str:
        """One question per API the gateway will use; what answered, joined with ``; ``."""
        answers = []
        if self.config.api == "coordination":
            answers.append(self._coordination())
            if self.config.password is not None:
                answers.append(self._lookup())
        else:
            answers.append(self._lookup())
        return "; ".join(answers)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()
        http, self._http = self._http, None
        if http is not None:
            http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _lookup(self) -> str:
        if self._client is None:
            self._client = make_client(self.config, transport=self._transport)
        try:
            self._client.lookup(PROBE_CODE)
        except BaseException:
            self.close()
            raise
        return f"{self.config.url} answered TraCuuHoSo"

    def _coordination(self) -> str:
        if self._http is None:
            # trust_env=False: the portal's address is the configuration's, never an unasked proxy.
            self._http = httpx.Client(
                base_url=self.config.url.rstrip("/"),
                timeout=httpx.Timeout(self.config.timeout_s),
                transport=self._transport,
                trust_env=False,
                headers=_HEADERS,
            )
        try:
            with httpx_errors(INSERT):
                response = self._http.post(self.config.coordination_insert_path, content=EMPTY_BATCH)
        except BaseException:
            self.close()
            raise
        status = response.status_code
        if status == 400 or 200 <= status < 300:
            return f"{response.request.url} answered an empty batch (HTTP {status})"
        code, message = _said(response)
        raise call_failure(
            INSERT,
            status=status,
            error_code=code,
            message=message or response.reason_phrase,
            retry_after=retry_after(response.headers),
        )


def _said(response: httpx.Response) -> tuple[int | None, str | None]:
    """The ``error_code`` and ``message`` of an answer, when it is the portal's JSON."""
    try:
        document = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    code, message = document.get("error_code"), document.get("message")
    return (
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        message if isinstance(message, str) else None,
    )


def probe_portal(config: PortalConfig, *, attempts: int | None = None) -> str:
    """Ask the portal once whether it answers (see the module) and let go; ``attempts`` caps the
    envelope client's tries (``portal.call_attempts`` when None). For the daemon's start-up check."""
    if attempts is not None:
        config = dataclasses.replace(config, call_attempts=attempts)
    with PortalProbe(config) as probe:
        return probe.ask()
