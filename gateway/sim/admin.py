"""The simulator's truth and control API, under ``/_sim/``, for tests and benchmarks.

Loopback clients only (anyone else gets 403, even when the portal API is bound wider). It never
goes through the fault gate, so it stays reachable during a simulated outage.

* ``GET /_sim/health`` → ``{"status": "ok"}``: readiness.
* ``GET /_sim/stats`` → the counters (keys in ``docs/portal-sim.md``).
* ``GET /_sim/dossiers/{MaHoSo}`` → ``{"current", "versions", "regressions", ...}``; 404 if never seen.
* ``GET /_sim/faults`` / ``PUT /_sim/faults`` → the fault spec in force / replace it.
* ``GET /_sim/catalogue`` / ``PUT /_sim/catalogue`` → ``{"catalogue": [...] | null}``, the procedure
  catalogue in force / replace it (body: the array, or ``null`` to accept every code again).
* ``POST /_sim/reset`` → forget every dossier and counter, back to the fault spec and the
  catalogue given at start.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.sim.catalogue import CatalogueError, parse_catalogue
from gateway.sim.codes import CallRefused
from gateway.sim.faults import FaultSpecError, parse_spec
from gateway.sim.portal import Portal
from gateway.sim.service import iso_time
from gateway.sim.store import Version
from gateway.sim.wire import json_response, parse_json, read_body

Endpoint = Callable[[Request], Awaitable[Response]]

log = structlog.get_logger(__name__)

# The flat counters every stats answer carries, zero when nothing happened yet.
STAT_KEYS = (
    "inserts",
    "updates",
    "unchanged_updates",
    "history_entries",
    "history_duplicates",
    "refused",
    "duplicates_refused",
    "regressions",
    "faults_injected",
    "lost",
    "calls_refused",
    "delayed_calls",
    "latency_injected_ms",
)
# Counters kept per reason as "<group>.<reason>", shown as {"<key>": {reason: n}}.
STAT_GROUPS = {
    "refused": "refused_by_reason",
    "faults": "faults_by_kind",
    "calls_refused": "calls_refused_by_reason",
}


def is_loopback(host: str | None) -> bool:
    """True for a client address on the loopback interface (127.0.0.0/8, ::1)."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AdminApi:
    """The ``/_sim/`` routes of one portal."""

    def __init__(self, portal: Portal) -> None:
        self._portal = portal

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/_sim/health", _loopback(self.health), methods=["GET"]),
            Route("/_sim/stats", _loopback(self.stats), methods=["GET"]),
            Route("/_sim/dossiers/{ma_ho_so}", _loopback(self.dossier), methods=["GET"]),
            Route("/_sim/faults", _loopback(self.faults), methods=["GET", "PUT"]),
            Route("/_sim/catalogue", _loopback(self.catalogue), methods=["GET", "PUT"]),
            Route("/_sim/reset", _loopback(self.reset), methods=["POST"]),
        ]

    async def health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    async def stats(self, request: Request) -> Response:
        return json_response(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        """The stats document: flat counters, then the per-reason breakdowns."""
        counters = self._portal.store.counters()
        stats: dict[str, Any] = {"dossiers": self._portal.store.dossier_count()}
        stats.update({key: counters.get(key, 0) for key in STAT_KEYS})
        for key in STAT_GROUPS.values():
            stats[key] = {}
        for name, value in sorted(counters.items()):
            group, _, reason = name.partition(".")
            if reason and group in STAT_GROUPS:
                stats[STAT_GROUPS[group]][reason] = value
        return stats

    async def dossier(self, request: Request) -> Response:
        ma_ho_so = request.path_params["ma_ho_so"]
        truth = self._portal.store.truth(ma_ho_so)
        if truth is None:
            return json_response({"error": f"the simulator never saw dossier {ma_ho_so}"}, 404)
        return json_response(
            {
                "current": truth.current,
                "versions": [_version(v) for v in truth.versions],
                "regressions": len(truth.regressions),
                "regression_moves": [
                    {"from": r.from_status, "to": r.to_status, "received_at": iso_time(r.received_at)}
                    for r in truth.regressions
                ],
                "history": [
                    {"received_at": iso_time(h.received_at), "record": h.record} for h in truth.history
                ],
                "lost": [_version(v) for v in truth.lost],
            }
        )

    async def faults(self, request: Request) -> Response:
        injector = self._portal.faults
        if request.method == "PUT":
            try:
                spec = parse_spec(parse_json(await read_body(request, self._portal.max_body_bytes)))
            except (CallRefused, FaultSpecError) as exc:
                return json_response({"error": str(exc)}, 400)
            injector.set_spec(spec)
            log.info("fault spec set", faults=spec.to_json())
        return json_response(injector.spec.to_json())

    async def catalogue(self, request: Request) -> Response:
        portal = self._portal
        if request.method == "PUT":
            try:
                document = parse_json(await read_body(request, portal.max_body_bytes))
                catalogue = (
                    None if document is None else parse_catalogue(document, portal.contract, "the body")
                )
            except (CallRefused, CatalogueError) as exc:
                return json_response({"error": str(exc)}, 400)
            portal.catalogue = catalogue
            log.info("catalogue set", procedures=None if catalogue is None else len(catalogue))
        return json_response({"catalogue": self._catalogue_json()})

    async def reset(self, request: Request) -> Response:
        self._portal.reset()
        return json_response(
            {
                "reset": True,
                "faults": self._portal.faults.spec.to_json(),
                "catalogue": self._catalogue_json(),
            }
        )

    def _catalogue_json(self) -> list[dict[str, str]] | None:
        catalogue = self._portal.catalogue
        return None if catalogue is None else catalogue.to_json()


def _version(version: Version) -> dict[str, Any]:
    out: dict[str, Any] = {"received_at": iso_time(version.received_at), "operation": version.operation}
    if version.madonvi:
        out["madonvi"] = version.madonvi
    out["record"] = version.record
    return out


def _loopback(endpoint: Endpoint) -> Endpoint:
    async def guarded(request: Request) -> Response:
        if not is_loopback(request.client.host if request.client else None):
            return json_response({"error": "the /_sim/ API answers loopback clients only"}, 403)
        return await endpoint(request)

    return guarded
