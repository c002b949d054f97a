"""The simulated portal as one object: what every transport (JSON, SOAP, admin) holds.

It owns the collaborators (store, compiled contract, sessions, fault injector, procedure catalogue,
operations) and the steps every portal call shares whatever its transport: the fault gate before
processing (outage, rate limit, injected errors, latency, hangs), the hang after processing, the
session check, and the counting of refused calls. Collaborators are passed in, never global, so a
test can build a portal on its own store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog
from starlette.requests import Request

from gateway.sim.auth import Sessions
from gateway.sim.catalogue import Catalogue, default_catalogue
from gateway.sim.codes import CallRefused, ErrorCode
from gateway.sim.contract import Contract
from gateway.sim.faults import Decision, FaultInjector, FaultSpec
from gateway.sim.service import PortalService
from gateway.sim.settings import SimSettings
from gateway.sim.store import SimStore
from gateway.sim.wire import MIB

HANG_LIMIT_S = 600.0
"""A hung call is released after this long even if the client is still waiting."""

_HANG_POLL_S = 0.05

log = structlog.get_logger(__name__)

_FAULT_MESSAGES = {
    "outage": "the portal is unavailable (simulated outage)",
    "rate_limited": "too many requests (simulated rate limit)",
    "error": "internal error (simulated fault)",
}


class Portal:
    """Collaborators and shared call steps of one simulated portal."""

    def __init__(
        self,
        config: SimSettings,
        startup_faults: FaultSpec,
        store: SimStore,
        contract: Contract,
        stopping: Callable[[], bool] = lambda: False,
        *,
        startup_catalogue: Catalogue | None = None,
        strict: bool = False,
    ) -> None:
        self.config = config
        self.startup_faults = startup_faults
        self.startup_catalogue = startup_catalogue
        # The procedure catalogue in force (PUT /_sim/catalogue replaces it); None accepts every code.
        self.catalogue = startup_catalogue
        self.store = store
        # Strict: records must be in the national form as the schemas say; tolerant (the default):
        # the wire variants of real clients are normalised first (gateway.sim.tolerance).
        self.strict = strict
        # What LayThuTuc / LayDanhSachTTHC answer from when no catalogue is in force.
        self.default_catalogue = default_catalogue(contract)
        self.contract = contract
        self.stopping = stopping
        self.faults = FaultInjector(startup_faults)
        self.sessions = Sessions(store, config.username, config.password, self.session_ttl_s)
        self.service = PortalService(
            store, self.faults, lambda: self.catalogue, listing=self.listed_procedures
        )
        self.max_body_bytes = config.max_body_mb * MIB
        self.batch_max = config.batch_max

    def listed_procedures(self) -> Catalogue:
        """The catalogue the lookup services answer from: the one in force, else the built-in one."""
        return self.default_catalogue if self.catalogue is None else self.catalogue

    def session_ttl_s(self) -> int:
        """The session lifetime in force: the fault spec's if it sets one, else the configured one."""
        ttl = self.faults.spec.session_ttl_s
        return self.config.session_ttl_s if ttl is None else ttl

    async def admit(self, request: Request) -> Decision:
        """Apply this call's faults before processing; raise ``CallRefused`` if it is not to be processed."""
        decision = self.faults.decide()
        if decision.kind in _FAULT_MESSAGES:
            self._count_fault(decision)
            raise CallRefused(decision.code, _FAULT_MESSAGES[decision.kind], decision.retry_after_s)
        if decision.latency_s > 0:
            await asyncio.sleep(decision.latency_s)
            # Counted so that tests can see the latency was applied without timing anything.
            self.store.bump({"delayed_calls": 1, "latency_injected_ms": round(decision.latency_s * 1000)})
        if decision.kind == "hang":
            self._count_fault(decision)
            if decision.hang_phase == "before":
                await self._hang(request)
        return decision

    async def finish(self, request: Request, decision: Decision) -> None:
        """Apply this call's faults after processing (a hang in phase "after")."""
        if decision.kind == "hang" and decision.hang_phase == "after":
            await self._hang(request)

    def authenticate(self, token: object) -> None:
        """Refuse the call unless ``token`` is a live session."""
        if not isinstance(token, str) or not self.sessions.valid(token):
            raise CallRefused(
                ErrorCode.SESSION_INVALID, "session is missing, unknown or expired; log in again"
            )

    def note_refusal(self, exc: CallRefused) -> None:
        """Count a refused call (injected faults are counted where they are injected)."""
        if exc.code in (
            ErrorCode.SERVER_ERROR,
            ErrorCode.UNAVAILABLE,
            ErrorCode.RATE_LIMITED,
            ErrorCode.SHUTTING_DOWN,
        ):
            return
        self.store.bump({"calls_refused": 1, f"calls_refused.{exc.code.reason}": 1})

    def reset(self) -> None:
        """Forget every dossier and counter; back to the fault spec and the catalogue given at start."""
        self.store.reset()
        self.faults.set_spec(self.startup_faults)
        self.catalogue = self.startup_catalogue
        log.info("simulator reset")

    async def _hang(self, request: Request) -> None:
        # Hold the call until the client gives up (disconnects), the simulator stops, or the limit.
        started = time.monotonic()
        reason = "limit"
        while time.monotonic() < started + HANG_LIMIT_S:
            if self.stopping():
                reason = "stopping"
                break
            if await request.is_disconnected():
                reason = "client gone"
                break
            await asyncio.sleep(_HANG_POLL_S)
        log.info("hung call released", reason=reason, held_s=round(time.monotonic() - started, 3))
        raise CallRefused(
            ErrorCode.SHUTTING_DOWN if self.stopping() else ErrorCode.UNAVAILABLE, "hung call released"
        )

    def _count_fault(self, decision: Decision) -> None:
        self.store.bump({"faults_injected": 1, f"faults.{decision.counter}": 1})
