"""Running the web application in the daemon's ``web`` child: where it listens, how it stops.

``check_web`` refuses a configuration that would serve the network by mistake: ``web.host`` must
be a loopback address (``127.0.0.1``, ``::1``, ``localhost``) unless ``web.allow_remote`` is true.
The supervisor checks it before it starts anything, so ``dvcgw run`` exits with code 2 and the key
to fix.

``serve`` binds the socket itself, then runs uvicorn on it in a thread until the child's stop event
is set. A port another process holds is logged as an error once and the child then waits for its
stop: delivery never depends on the web server, and a child exiting at once would only be started
again and again. uvicorn configures no logging of its own (its records go through the gateway's
chain) and writes no access log (a scrape every few seconds would drown the delivery lines).
"""

from __future__ import annotations

import ipaddress
import socket
import threading

import structlog
import uvicorn

from gateway.config import Config, WebConfig
from gateway.errors import ConfigError

log = structlog.get_logger(__name__)

GRACE_S = 10
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine's loopback interface only."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_web(config: WebConfig) -> None:
    """Refuse a web configuration that cannot work or would serve the network unasked."""
    if not 1 <= config.port <= 65535:
        raise ConfigError(f"web.port must be between 1 and 65535, got {config.port}")
    if config.timeout_s <= 0:
        raise ConfigError(f"web.timeout_s must be more than 0, got {config.timeout_s}")
    if not config.allow_remote and not is_loopback(config.host):
        raise ConfigError(
            f"web.host {config.host!r} is not a loopback address: the metrics, health checks and "
            "operator console would be reachable from the network. Use 127.0.0.1 (and a reverse "
            "proxy), or set web.allow_remote: true (DVCGW_WEB_ALLOW_REMOTE=true) if that is meant"
        )


def listen(config: WebConfig) -> socket.socket:
    """A listening socket on ``web.host``:``web.port``; ``OSError`` if it cannot be had."""
    family, kind, proto, _, address = socket.getaddrinfo(config.host, config.port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def serve(config: Config, stop: threading.Event) -> None:
    """Serve ``gateway.web.app`` until ``stop`` is set (see the module)."""
    check_web(config.web)
    try:
        sock = listen(config.web)
    except OSError as exc:
        log.error(
            "the web server cannot listen; metrics, health checks and the console are off",
            host=config.web.host,
            port=config.web.port,
            error=str(exc),
        )
        stop.wait()
        return
    from gateway.web.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=GRACE_S,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
    thread.start()
    log.info("web server listening", url=f"http://{_shown(config.web.host)}:{config.web.port}/")
    try:
        while not stop.wait(0.5):
            if not thread.is_alive():
                raise RuntimeError("the web server stopped on its own")
    finally:
        server.should_exit = True
        thread.join(GRACE_S + 1)
        sock.close()


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host
