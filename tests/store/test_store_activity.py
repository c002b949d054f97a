"""The console dashboard's reads from the store, on both dialects: messages acknowledged and dead
per hour, and the newest reconciliation run (a finished one before a newer interrupted one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.store import DeliveryOutcome, NewReconcileRun, Result, Store
from tests.store.samples import ingest_one, new_message

HOUR = timedelta(hours=1)


def deliver(store: Store, code: str, result: Result) -> None:
    message_id = ingest_one(store, new_message(code))
    [decision] = store.begin_delivery([message_id], lease_s=60)
    error = None if result is Result.ACKED else "PortalRejected"
    store.finish_delivery(
        [DeliveryOutcome(message_id, result, decision.attempts + 1, "insert", error, error)]
    )


def this_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def run(store: Store, source: str, *, finished: bool) -> int:
    """A reconciliation run of ``source`` (each source its own comparison: never resumed), left
    finished or interrupted."""
    new = NewReconcileRun(None, datetime.now(UTC), "all", source, False, "cli", "tester")
    claim = store.reconcile_claim(new, f"host:{source}", 60)
    assert claim.run is not None, claim.refused
    assert store.reconcile_release(claim.run.id, f"host:{source}", finished=finished)
    return claim.run.id


def test_acknowledgements_and_deaths_are_counted_in_the_hour_they_happened(store: Store) -> None:
    now = this_hour()
    deliver(store, "000.00.00.H01-210605-0001", Result.ACKED)
    deliver(store, "000.00.00.H01-210605-0002", Result.ACKED)
    deliver(store, "000.00.00.H01-210605-0003", Result.DEAD)
    ingest_one(store, new_message("000.00.00.H01-210605-0004"))  # pending: in no hour
    # Near the turn of an hour the deliveries may fall in the next one: count both.
    hours = store.hourly_outcomes([now - 2 * HOUR, now - HOUR, now, now + HOUR])

    assert [h.start for h in hours] == [now - 2 * HOUR, now - HOUR, now, now + HOUR]
    assert [(h.acked, h.dead) for h in hours[:2]] == [(0, 0), (0, 0)]
    assert (sum(h.acked for h in hours), sum(h.dead for h in hours)) == (2, 1)


def test_hours_that_end_before_or_begin_after_the_outcomes_count_nothing(store: Store) -> None:
    now = this_hour()
    deliver(store, "000.00.00.H01-210605-0001", Result.ACKED)
    deliver(store, "000.00.00.H01-210605-0002", Result.DEAD)

    earlier = store.hourly_outcomes([now - 3 * HOUR, now - 2 * HOUR])
    later = store.hourly_outcomes([now + 2 * HOUR])

    assert [(h.acked, h.dead) for h in earlier + later] == [(0, 0)] * 3
    assert store.hourly_outcomes([]) == []


def test_the_newest_finished_run_is_the_latest_and_an_interrupted_one_only_when_none_finished(
    store: Store,
) -> None:
    assert store.latest_reconcile_run() is None
    interrupted = run(store, "a", finished=False)
    assert getattr(store.latest_reconcile_run(), "id", None) == interrupted
    finished = run(store, "b", finished=True)
    run(store, "c", finished=False)
    latest = store.latest_reconcile_run()
    assert latest is not None
    assert (latest.id, latest.state, latest.source) == (finished, "done", "b")
