"""The operator console: a small web application over the store and the operators' commands.

``create_console(config)`` returns the Starlette application the daemon's web server mounts at
``/console`` (``gateway.web.app``); it is a view over what ``dvcgw dead``, ``replay``, ``trace``
and ``reconcile`` use (``gateway.ops``, ``gateway.reconcile``), not a second implementation:

=============================  =====================================================================
``GET  /``                     dashboard: throughput per hour, messages per state, dead count, the
                               sync rate and time of the newest reconciliation (``?hours=6|24|72``)
``GET  /dead``                 dead letters, with ``dvcgw dead list``'s filters as query parameters
``GET  /dead/{id}``            one dead message: reason, attempts, packet, original record
``POST /dead/replay/plan``     the confirmation of a replay (ticked ``id``s, or ``mode=filter``)
``POST /dead/replay``          the replay confirmed (``id``s), recorded as ``console:<name>``
``GET  /dossier?code=``        the life of one dossier (``dvcgw trace``)
``GET  /reconciliation``       the newest reconciliation run's report (``?run=N``: another);
                               ``/reconciliation/report`` its HTML page, ``.../report.json`` its JSON
``GET/POST /login``, ``POST /logout``
=============================  =====================================================================

Sign-in: the operator's name and the password ``$DVCGW_CONSOLE_PASSWORD`` (``auth``); without that
variable every path answers 503 with how to set it. The session is a signed cookie (``session``);
every form carries the session's token and is refused without it (``guard``). No page has a
script; every value is escaped (``markup``). Who serves it, on which address, is the daemon's web
server's business (loopback by default).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route

from gateway.config import Config
from gateway.web.console.auth import PASSWORD_ENV, Gate, configured_password
from gateway.web.console.dashboard import dashboard
from gateway.web.console.deadletters import dead_list, dead_show, replay_now, replay_plan
from gateway.web.console.dossier import dossier
from gateway.web.console.guard import Guard
from gateway.web.console.reconciliation import full_report, reconciliation, report_json
from gateway.web.console.session import Signer
from gateway.web.console.signin import login_page, logout, unconfigured
from gateway.web.console.stores import Stores

__all__ = ["PASSWORD_ENV", "create_console"]


def create_console(config: Config, *, environ: Mapping[str, str] | None = None) -> Starlette:
    """The console for ``config``'s store; its password from ``environ`` (default: the process's)."""
    password, why = configured_password(os.environ if environ is None else environ)
    if password is None:
        assert why is not None
        explain = unconfigured(why)
        return Starlette(routes=[Route("/{path:path}", explain, methods=["GET", "POST"])])
    stores = Stores(config.store_url)
    guard = Guard(config, stores, Signer())
    page = guard.endpoint

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            stores.close()

    routes = [
        Route("/", page(dashboard)),
        Route("/login", page(login_page(Gate(password)), public=True), methods=["GET", "POST"]),
        Route("/logout", page(logout), methods=["POST"]),
        Route("/dead", page(dead_list)),
        Route("/dead/replay/plan", page(replay_plan), methods=["POST"]),
        Route("/dead/replay", page(replay_now), methods=["POST"]),
        Route("/dead/{message_id:int}", page(dead_show)),
        Route("/dossier", page(dossier)),
        Route("/reconciliation", page(reconciliation)),
        Route("/reconciliation/report", page(full_report)),
        Route("/reconciliation/report.json", page(report_json)),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    # Starlette runs no lifespan of a mounted application: a server that mounts the console closes
    # its stores with ``app.state.stores.close()`` (they close with the process otherwise).
    app.state.stores = stores
    return app
