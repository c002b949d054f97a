"""``dvcgw portal-sim``: run the simulated national portal (also ``python -m gateway.sim``).

Thin on purpose: read the settings, parse the options, bind the socket, hand the app to uvicorn,
map failures to exit codes (the same numbers as every ``dvcgw`` command: 0, 2 usage, 3 store).
The simulator is the gateway's peer, not part of it: it reads its own settings
(``gateway.sim.settings``) and configures its own logs. Everything the server does lives in ``app`` and
the modules it wires.
"""

from __future__ import annotations

import dataclasses
import signal
import socket
import sys
from enum import IntEnum
from pathlib import Path
from types import FrameType
from typing import NoReturn

import click
import structlog
import uvicorn

from gateway.sim.app import create_app
from gateway.sim.catalogue import Catalogue, CatalogueError, load_catalogue
from gateway.sim.contract import Contract, ContractError
from gateway.sim.faults import FaultSpec, FaultSpecError, load_spec
from gateway.sim.logs import configure as configure_logging
from gateway.sim.settings import SettingsError, SimSettings, load_settings
from gateway.sim.store import SimStoreError


class ExitCode(IntEnum):
    """The simulator's exit codes: the numbers ``docs/portal-sim.md`` lists (those of ``dvcgw``)."""

    OK = 0
    USAGE = 2
    """A bad option, fault spec, catalogue file or setting, or the port cannot be bound."""
    UNAVAILABLE = 3
    """The store cannot be opened."""


# A hung or slow call may hold shutdown this long before uvicorn cancels it.
_GRACEFUL_S = 3

EPILOG = """\b
Fault spec keys (JSON; all optional; an unknown key is an error):
  seed, error_rate, latency_ms [min, max], hang_rate, hang_phase,
  outage, rate_limit_per_s, session_ttl_s, lose_rate, lose_codes [MaHoSo, ...]
  (see docs/portal-sim.md; change them at run time with PUT /_sim/faults)

\b
Catalogue file (JSON array; MaTTHC required and unique, d.dddddd):
  [{"MaTTHC": "1.004889", "TenTTHC": "...", "MaLinhVuc": "...", "TenLinhVuc": "..."}]
  (replace it at run time with PUT /_sim/catalogue; null turns the check off)

\b
Examples:
  dvcgw portal-sim
  dvcgw portal-sim --port 9000 --db /tmp/portal-sim.sqlite3
  dvcgw portal-sim --faults '{"seed": 7, "error_rate": 0.1, "latency_ms": [5, 50]}'
  dvcgw portal-sim --faults @faults.json
  dvcgw portal-sim --catalogue catalogue.json
  dvcgw portal-sim --strict
  DVCGW_SIM_PASSWORD=s3cret python -m gateway.sim --port 0
  curl -s http://127.0.0.1:8089/_sim/stats
"""


@click.command("portal-sim", epilog=EPILOG)
@click.option("--host", help="Address to bind (default from config.yaml sim.host: 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="Port to bind; 0 picks a free one (default 8089)."
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file of the portal's store (default var/portal-sim.sqlite3); created if missing.",
)
@click.option("--faults", "faults_text", metavar="SPEC", help="Fault spec: JSON text, or @FILE holding it.")
@click.option(
    "--catalogue",
    "catalogue_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="National procedure catalogue (JSON array); dossiers of procedures it does not list are"
    " refused. Default: none, every well-formed MaTTHC is accepted.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Accept records only in the strict national form of schemas/; by default the wire variants"
    ' real clients send ("False" flags, amounts as text, null, provincial MaTTHC...) are'
    " normalised before they are stored (docs/portal-sim.md).",
)
def portal_sim(
    host: str | None,
    port: int | None,
    db: Path | None,
    faults_text: str | None,
    catalogue_file: Path | None,
    strict: bool,
) -> None:
    """Run the simulated national portal until SIGTERM or Ctrl-C.

    Serves the JSON API (POST /api/v1/login, POST /api/v1/integration), the newer
    coordination API (POST /api/dieuphoi/ThemMoiHoSo, CapNhatHoSo, DongBoTienTrinh), the SOAP
    binding (POST /soap, WSDL at GET /soap?wsdl) and the truth and control API
    for tests under /_sim/ (loopback only). Credentials come from
    DVCGW_SIM_USERNAME / DVCGW_SIM_PASSWORD (defaults in config.yaml).
    """
    config = _sim_config(click.get_current_context())
    config = dataclasses.replace(
        config,
        host=host if host is not None else config.host,
        port=port if port is not None else config.port,
        db=db if db is not None else config.db,
    )
    try:
        spec = load_spec(faults_text) if faults_text else FaultSpec()
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from exc
    try:
        catalogue = load_catalogue(catalogue_file, Contract()) if catalogue_file else None
    except CatalogueError as exc:
        raise click.BadParameter(str(exc), param_hint="--catalogue") from exc
    except ContractError as exc:
        _fail(ExitCode.USAGE, str(exc))
    # JSON lines on stderr; uvicorn's own loggers are routed through the same chain.
    configure_logging(level="INFO")
    sock = _bind(config)
    sys.exit(int(_serve(config, spec, catalogue, sock, strict=strict)))


def _serve(
    config: SimSettings,
    spec: FaultSpec,
    catalogue: Catalogue | None,
    sock: socket.socket,
    *,
    strict: bool = False,
) -> ExitCode:
    server: uvicorn.Server | None = None
    try:
        app = create_app(
            config,
            spec,
            catalogue=catalogue,
            strict=strict,
            stopping=lambda: server is not None and server.should_exit,
        )
    except SimStoreError as exc:
        sock.close()
        _fail(ExitCode.UNAVAILABLE, str(exc))
    except ContractError as exc:
        sock.close()
        _fail(ExitCode.USAGE, str(exc))
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            lifespan="on",
            log_config=None,
            log_level="warning",
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=_GRACEFUL_S,
        )
    )
    bound_host, bound_port = sock.getsockname()[:2]
    url = (
        f"http://{bound_host}:{bound_port}"
        if ":" not in bound_host
        else f"http://[{bound_host}]:{bound_port}"
    )
    structlog.get_logger(__name__).info(
        "portal-sim listening",
        url=url,
        db=str(config.db),
        faults=spec.to_json(),
        catalogue=None if catalogue is None else len(catalogue),
        batch_max=config.batch_max,
        strict=strict,
    )
    # uvicorn restores the handlers it found and re-raises the signal after a graceful shutdown;
    # finding ours (which only note it) means a signalled stop ends with exit code 0, not -15.
    previous = {sig: signal.signal(sig, _noted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    structlog.get_logger(__name__).info("portal-sim stopped")
    return ExitCode.OK


def _sim_config(ctx: click.Context) -> SimSettings:
    try:
        # Under ``dvcgw`` the group has read the configuration already (honouring --config);
        # its ``sim`` section has the attributes of ``SimSettings``.
        loaded = getattr(getattr(ctx.find_root().obj, "config", None), "sim", None)
        if loaded is not None:
            return SimSettings.from_values(loaded)
        return load_settings()
    except SettingsError as exc:
        _fail(ExitCode.USAGE, str(exc))


def _bind(config: SimSettings) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on accepted sockets whose proto says
    # TCP, and without it every response (headers and body written apart) waits ~40 ms for the
    # client's delayed ACK (Nagle), capping a keep-alive connection at ~20 requests per second.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
        # Listening now (not when uvicorn starts) lets early clients queue instead of being refused.
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        _fail(ExitCode.USAGE, f"cannot listen on {config.host}:{config.port}: {exc.strerror}")
    return sock


def _noted(signum: int, frame: FrameType | None) -> None:
    """Signal handler left in place for uvicorn's re-raise: the stop already happened."""


def _fail(code: ExitCode, message: str) -> NoReturn:
    click.echo(f"portal-sim: {message}", err=True)
    sys.exit(int(code))
