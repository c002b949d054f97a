"""Readiness names every service that does not answer, and why; a fresh store counts as reachable."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from gateway.config import BrokerConfig, Config, PathsConfig, PortalConfig, StoreConfig, WebConfig
from gateway.observe.ledger import LedgerWatch
from gateway.observe.readiness import check_once
from gateway.sim.process import free_port
from gateway.store import Store


def _config(tmp_path: Path, **sections: object) -> Config:
    base = Config(
        paths=PathsConfig(var=tmp_path / "var"),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gateway.sqlite3'}"),
        web=WebConfig(timeout_s=5),
    )
    return dataclasses.replace(base, **sections)  # type: ignore[arg-type]


def test_every_service_that_does_not_answer_is_named_with_why(tmp_path: Path) -> None:
    closed = free_port()
    config = _config(
        tmp_path,
        broker=BrokerConfig(url=f"amqp://guest:secret@127.0.0.1:{closed}/%2F", connect_timeout_s=2),
        portal=PortalConfig(url=f"http://127.0.0.1:{closed}", password="p", timeout_s=2),
    )

    checks = {check.service: check for check in check_once(config)}

    assert set(checks) == {"broker", "store", "portal"}
    assert not checks["broker"].ok
    assert "secret" not in checks["broker"].detail
    assert not checks["portal"].ok
    # The SQLite file does not exist yet: the daemon creates it, so the store is not a problem.
    assert checks["store"].ok, checks["store"]
    assert "does not exist yet" in checks["store"].detail
    assert not (tmp_path / "gateway.sqlite3").exists()


def test_a_portal_without_a_password_is_not_ready_and_says_which_variable_to_set(tmp_path: Path) -> None:
    config = _config(tmp_path, portal=PortalConfig(password=None))

    (portal,) = [check for check in check_once(config) if check.service == "portal"]

    assert not portal.ok
    assert "DVCGW_PORTAL_PASSWORD" in portal.detail


def test_the_figures_of_a_new_store_are_zeros_and_nothing_else(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    Store.open(url).close()
    watch = LedgerWatch(url, timeout_s=10)
    try:
        figures = watch.figures()
    finally:
        watch.close()

    assert set(figures.states.values()) == {0}
    assert set(figures.states) == {"pending", "queued", "retrying", "acked", "superseded", "dead"}
    assert (figures.replayed, figures.last_ack_at, figures.reconcile) == (0, None, None)
