"""The dashboard's reads (``gateway.ops.activity``) on both dialects: deliveries and deaths per hour,
the newest reconciliation run (a finished one before a newer interrupted one)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.ops.activity import hour_starts, hourly, latest_run
from gateway.store import NewReconcileRun, Store
from gateway.synthetic import igate_record
from tests.ops.ledger import acknowledge, dead, message_of
from tests.services import postgres_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        with Store.open(f"sqlite:///{tmp_path / 'gateway.sqlite3'}") as opened:
            yield opened
        return
    with postgres_schema() as url, Store.open(url) as opened:
        yield opened


def run(store: Store, source: str, *, finished: bool) -> int:
    """A reconciliation run of ``source`` (each source its own comparison: never resumed), left
    finished or interrupted."""
    new = NewReconcileRun(None, datetime.now(UTC), "all", source, False, "cli", "tester")
    claim = store.reconcile_claim(new, f"host:{source}", 60)
    assert claim.run is not None, claim.refused
    assert store.reconcile_release(claim.run.id, f"host:{source}", finished=finished)
    return claim.run.id


def test_hour_starts_end_with_the_hour_now_is_in() -> None:
    now = datetime(2026, 12, 1, 8, 42, 5, tzinfo=UTC)
    starts = hour_starts(now, 3)
    assert starts == [datetime(2026, 12, 1, h, tzinfo=UTC) for h in (6, 7, 8)]


def test_deliveries_and_deaths_are_counted_in_the_hour_they_happened(store: Store) -> None:
    for i in range(2):
        [stored] = store.ingest(None, [message_of(igate_record(i))], [])
        acknowledge(store, stored.message_id)
    dead(store, 5)
    now = datetime.now(UTC)
    hours = hourly(store, hours=3, now=now)
    assert [(h.acked, h.dead) for h in hours] == [(0, 0), (0, 0), (2, 1)]
    later = hourly(store, hours=3, now=now + timedelta(hours=1))
    assert [(h.acked, h.dead) for h in later] == [(0, 0), (2, 1), (0, 0)]


def test_the_newest_finished_run_is_shown_and_an_interrupted_one_only_when_none_finished(
    store: Store,
) -> None:
    assert latest_run(store) is None
    interrupted = run(store, "a", finished=False)
    assert getattr(latest_run(store), "id", None) == interrupted
    finished = run(store, "b", finished=True)
    run(store, "c", finished=False)
    assert getattr(latest_run(store), "id", None) == finished
