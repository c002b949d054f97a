"""The simulator's ASGI application: ``create_app(config, faults, catalogue=...)`` → a Starlette app.

It wires one ``Portal`` (store, contract, sessions, faults, operations) to its route sets: the
JSON API (``gateway.sim.rest``), its newer bare-array generation (``gateway.sim.coordination``),
the SOAP endpoint (``gateway.sim.soap``) and the truth and
control API (``gateway.sim.admin``). The command (``gateway.sim.command``) serves it with
uvicorn; a test can serve it however it likes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gateway.sim.admin import AdminApi
from gateway.sim.catalogue import Catalogue
from gateway.sim.codes import ErrorCode
from gateway.sim.contract import SCHEMA_DIR, Contract
from gateway.sim.coordination import CoordinationApi
from gateway.sim.faults import FaultSpec
from gateway.sim.portal import Portal
from gateway.sim.rest import JsonApi
from gateway.sim.settings import SimSettings
from gateway.sim.soap import SoapApi
from gateway.sim.store import Checkpointer, SimStore
from gateway.sim.wire import json_response

log = structlog.get_logger(__name__)


def create_app(
    config: SimSettings,
    faults: FaultSpec | None = None,
    *,
    catalogue: Catalogue | None = None,
    strict: bool = False,
    schema_dir: Path = SCHEMA_DIR,
    stopping: Callable[[], bool] = lambda: False,
) -> Starlette:
    """Build the simulator on the store at ``config.db`` (opened now; raises ``SimStoreError``).

    ``catalogue`` is the procedure catalogue in force at start (None: every code is accepted).
    ``strict`` refuses the wire variants of real clients instead of normalising them.
    ``stopping`` tells hung calls that the server is shutting down, so they let go at once.
    """
    contract = Contract(schema_dir)
    store = SimStore(config.db)
    try:
        portal = Portal(
            config,
            faults or FaultSpec(),
            store,
            contract,
            stopping,
            startup_catalogue=catalogue,
            strict=strict,
        )
        routes = [
            *JsonApi(portal).routes(),
            *CoordinationApi(portal).routes(),
            *SoapApi(portal).routes(),
            *AdminApi(portal).routes(),
        ]
    except BaseException:
        store.close()
        raise

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        checkpointer = Checkpointer(config.db)
        checkpointer.start()
        try:
            yield
        finally:
            checkpointer.stop()
            store.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.portal = portal
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown paths and wrong methods answer in the portal's envelope, not Starlette's plain text.
    assert isinstance(exc, HTTPException)
    body = {"error_code": int(ErrorCode.BAD_REQUEST), "message": exc.detail, "result": None}
    return json_response(body, exc.status_code, exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("unexpected error", path=request.url.path, error=type(exc).__name__)
    body = {"error_code": int(ErrorCode.SERVER_ERROR), "message": "internal error", "result": None}
    return json_response(body, 500)
