"""Can the gateway work right now? RabbitMQ, the store and the portal, each asked with a deadline.

For ``/readyz`` of the daemon's web server, and for any command that wants the same answer
(``check_once``: e.g. a ``dvcgw check`` for scripts and systemd). The three are asked at once, each
on its own ``Bounded`` thread, and the whole check takes at most ``timeout_s``:

- **broker**: a connection, and a passive declare of the sync queue (RabbitMQ answers; whether the
  daemon's topology is there);
- **store**: ``SELECT 1`` in a read-only transaction (a SQLite file that does not exist yet counts
  as reachable: the daemon creates it at its start);
- **portal**: as its API generation allows (``gateway.observe.probe``): for the envelope API a
  ``TraCuuHoSo`` of a code no province issues, logged in (the answer "not held" is a success: the
  portal answered); for the coordination generation an empty batch posted to its insert URL (and
  the look-up too when ``DVCGW_PORTAL_PASSWORD`` is set); one attempt, with a timeout no longer
  than the check's.

A service that fails or does not answer in time is named with why, in words without secrets (URLs
are shown without their passwords).
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from gateway.config import Config, PortalConfig
from gateway.errors import GatewayError
from gateway.observe.bounded import Bounded
from gateway.observe.ledger import LedgerWatch
from gateway.observe.probe import PortalProbe
from gateway.observe.queues import BrokerWatch

SERVICES = ("broker", "store", "portal")


@dataclass(frozen=True)
class Check:
    """The answer of one service: reachable or not, and what answered or why not."""

    service: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail}


class PortalWatch:
    """The portal as the web server asks it: one probe on its own thread, its clients kept (logged
    in) between checks."""

    def __init__(self, config: PortalConfig, timeout_s: float) -> None:
        self.config = dataclasses.replace(config, call_attempts=1, timeout_s=min(config.timeout_s, timeout_s))
        self.bounded = Bounded("portal", timeout_s)
        self._probe = PortalProbe(self.config)

    def start_ping(self) -> Future[str]:
        return self.bounded.start("ping", self._probe.ask)

    def close(self) -> None:
        self.bounded.close(self._probe.close)


class Readiness:
    """The three checks, on watches kept between calls (the web server shares the broker's and the
    store's with its metrics)."""

    def __init__(
        self,
        config: Config,
        *,
        broker: BrokerWatch | None = None,
        store: LedgerWatch | None = None,
        portal: PortalWatch | None = None,
    ) -> None:
        timeout_s = config.web.timeout_s
        self.timeout_s = timeout_s
        self.broker = broker or BrokerWatch(config.broker, timeout_s)
        self.store = store or LedgerWatch(config.store_url, timeout_s)
        self.portal = portal or PortalWatch(config.portal, timeout_s)

    def check(self) -> list[Check]:
        """Ask all three at once; at most ``timeout_s`` for the lot."""
        started = {
            "broker": self.broker.start_ping(),
            "store": self.store.start_ping(),
            "portal": self.portal.start_ping(),
        }
        deadline = time.monotonic() + self.timeout_s
        return [
            _answer(service, future, max(0.0, deadline - time.monotonic()), self.timeout_s)
            for service, future in started.items()
        ]

    def close(self) -> None:
        self.broker.close()
        self.store.close()
        self.portal.close()


def check_once(config: Config) -> list[Check]:
    """Ask RabbitMQ, the store and the portal once (``web.timeout_s`` at most), then let go."""
    readiness = Readiness(config)
    try:
        return readiness.check()
    finally:
        readiness.close()


def _answer(service: str, future: Future[str], wait_s: float, timeout_s: float) -> Check:
    try:
        return Check(service, True, future.result(timeout=wait_s))
    except TimeoutError:
        return Check(service, False, f"no answer within {timeout_s:g} s")
    except GatewayError as exc:
        return Check(service, False, str(exc))
    except Exception as exc:
        return Check(service, False, f"{type(exc).__name__}: {exc}")
