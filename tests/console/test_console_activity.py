"""The dashboard's hours (``gateway.ops.activity``): the last hours up to now, oldest first, counted
by the store (``Store.hourly_outcomes``, tested on both dialects in tests/store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.ops.activity import hour_starts, hourly
from gateway.store import NewReconcileRun, Store
from gateway.synthetic import igate_record
from tests.ops.ledger import acknowledge, message_of


def test_hour_starts_end_with_the_hour_now_is_in() -> None:
    now = datetime(2026, 12, 1, 8, 42, 5, tzinfo=UTC)
    starts = hour_starts(now, 3)
    assert starts == [datetime(2026, 12, 1, h, tzinfo=UTC) for h in (6, 7, 8)]


def test_a_delivery_is_counted_in_its_hour_among_the_last_hours(store: Store) -> None:
    [stored] = store.ingest(None, [message_of(igate_record(1))], [])
    acknowledge(store, stored.message_id)
    row = store.message(stored.message_id)
    assert row is not None
    assert row.acked_at is not None

    hours = hourly(store, hours=3, now=row.acked_at)
    later = hourly(store, hours=3, now=row.acked_at + timedelta(hours=1))

    assert [h.start for h in hours] == hour_starts(row.acked_at, 3)
    assert [(h.acked, h.dead) for h in hours] == [(0, 0), (0, 0), (1, 0)]
    assert [(h.acked, h.dead) for h in later] == [(0, 0), (1, 0), (0, 0)]


def test_the_latest_run_is_the_stores_newest_finished_one(store: Store) -> None:
    assert store.latest_reconcile_run() is None
    new = NewReconcileRun(None, datetime.now(UTC), "all", None, False, "cli", "tester")
    claim = store.reconcile_claim(new, "host:1", 60)
    assert claim.run is not None
    assert store.reconcile_release(claim.run.id, "host:1", finished=True)
    assert getattr(store.latest_reconcile_run(), "id", None) == claim.run.id
