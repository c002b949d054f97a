"""The daemon's web application: metrics, health, readiness and the operator console.

::

    GET /metrics    Prometheus text format: every process's counters and histograms, the store's
                    figures and RabbitMQ's queue depths (gateway.observe); at most web.timeout_s
    GET /healthz    200 {"status": "alive"}: the web process answers (liveness)
    GET /readyz     200 when RabbitMQ, the store and the portal all answer within web.timeout_s,
                    else 503; the body names each service, ok or not, and why:
                    {"ready": false, "unreachable": ["portal"],
                     "checks": {"broker": {"ok": true, "detail": "..."}, ...}}
    /console/       the operator console (gateway.web.console)
    GET /           redirects to /console/

``create_app(config)`` builds it; ``gateway.web.serve`` runs it in the daemon's ``web`` child. The
reads behind ``/metrics`` and ``/readyz`` run on one thread per service with a deadline
(``gateway.observe.bounded``), so neither ever hangs on a service that does not answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from gateway.config import Config
from gateway.observe import multiproc
from gateway.observe.collectors import ScrapeCollector
from gateway.observe.readiness import Readiness
from gateway.web.console import create_console


def create_app(config: Config, *, readiness: Readiness | None = None) -> Starlette:
    """The web application of the daemon for ``config`` (see the module). ``readiness``: the
    watches to use (tests pass their own); by default they are made from ``config``."""
    watches = readiness or Readiness(config)
    registry = multiproc.registry([ScrapeCollector(watches.store, watches.broker)])

    def metrics(request: Request) -> Response:
        # A plain function: Starlette runs it in its thread pool, where waiting is harmless.
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    def readyz(request: Request) -> Response:
        checks = watches.check()
        unreachable = [check.service for check in checks if not check.ok]
        body = {
            "ready": not unreachable,
            "unreachable": unreachable,
            "checks": {check.service: check.to_json() for check in checks},
        }
        return JSONResponse(body, status_code=503 if unreachable else 200)

    async def home(request: Request) -> Response:
        return RedirectResponse("/console/", status_code=307)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            watches.close()

    routes: list[BaseRoute] = [
        Route("/metrics", metrics),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/", home),
        Mount("/console", app=create_console(config)),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
