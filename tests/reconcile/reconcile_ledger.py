"""Dossiers for reconciliation's tests, made as the pipeline makes them: synthetic igate-json
records translated with the real mapping, stored, and acknowledged (or not) by a fake delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from gateway.packets.model import record_hash
from gateway.reconcile.window import Window
from gateway.store import NewReconcileRun, Store
from gateway.synthetic import igate_record
from tests.ops.ledger import acknowledge, kill, message_of


def stored(store: Store, i: int, revision: int = 0, *, acked: bool = True, dead: bool = False) -> int:
    """Synthetic dossier ``i`` at ``revision`` stored (and acknowledged, or dead); its ledger id."""
    [done] = store.ingest(None, [message_of(igate_record(i, revision=revision), index=i)], [])
    if dead:
        kill(store, done.message_id)
    elif acked:
        acknowledge(store, done.message_id)
    return done.message_id


def record_of(store: Store, message_id: int) -> dict[str, Any]:
    """The national record a stored message carries (what the portal holds once it is delivered)."""
    message = store.message(message_id)
    assert message is not None
    record: dict[str, Any] = orjson.loads(message.packet)["HoSo"]
    return record


def hash_of(store: Store, message_id: int) -> str:
    return record_hash(record_of(store, message_id))


def window(days: int = 7) -> Window:
    return Window.chosen(since=None, until=None, everything=False, days=days)


def new_run(kind: str = "default", **changes: Any) -> NewReconcileRun:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "since": now - timedelta(days=7),
        "until": now,
        "window_kind": kind,
        "source": None,
        "repair": True,
        "started_by": "cli",
        "operator": "tester",
    }
    values.update(changes)
    return NewReconcileRun(**values)
