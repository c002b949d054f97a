"""``StoreWatch``: the store as the web server reads it, read-only and never migrating, on both
dialects; a SQLite file not made yet answers the reachability check and is not created."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.errors import StoreUnavailable
from gateway.sim.process import free_port
from gateway.store import DeliveryOutcome, NewFinding, NewReconcileRun, NewReplay, Result, Store, StoreWatch
from tests.store.samples import ingest_one, new_message

HOUR = timedelta(hours=1)


@pytest.fixture
def watch(store: Store, store_url: str) -> Iterator[StoreWatch]:
    """A watch on the test's store (migrated by the ``store`` fixture)."""
    opened = StoreWatch(store_url)
    yield opened
    opened.close()


def deliver(store: Store, message_id: int, result: Result) -> None:
    [decision] = store.begin_delivery([message_id], lease_s=60)
    error = None if result is Result.ACKED else "PortalRejected"
    store.finish_delivery(
        [DeliveryOutcome(message_id, result, decision.attempts + 1, "insert", error, error)]
    )


def finding(code: str, kind: str) -> NewFinding:
    return NewFinding(
        ma_ho_so=code,
        kind=kind,
        source=None,
        agency=None,
        message_id=None,
        revision=None,
        gateway_status=None,
        portal_status=None,
        portal_hash=None,
        via="listing",
        last_activity=None,
        activity_date=None,
        detail="",
    )


def reconcile(store: Store, source: str | None, kinds: list[str], *, finished: bool) -> int:
    """A run over ``source`` (None: every source) with one finding per kind, left finished or not."""
    holder = f"host:{source}"
    new = NewReconcileRun(None, datetime.now(UTC), "all", source, False, "cli", "tester")
    run = store.reconcile_claim(new, holder, 60).run
    assert run is not None
    findings = [finding(f"000.00.00.H00-000101-{i:04}", kind) for i, kind in enumerate(kinds)]
    assert store.reconcile_record(run.id, holder, findings, lease_s=60, operator="t", phase="lookup").held
    assert store.reconcile_release(run.id, holder, finished=finished)
    return run.id


def test_a_sqlite_file_not_made_yet_answers_the_check_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "var" / "gateway.sqlite3"
    watch = StoreWatch(f"sqlite:///{path}")
    try:
        assert "does not exist yet" in watch.ping()
        with pytest.raises(StoreUnavailable, match="does not exist yet"):
            watch.figures()
    finally:
        watch.close()
    assert not path.exists()
    assert not path.parent.exists()


def test_a_store_that_cannot_be_reached_is_unavailable_and_named_without_its_password() -> None:
    watch = StoreWatch(f"postgresql://root:secret@127.0.0.1:{free_port()}/test?connect_timeout=2")
    try:
        with pytest.raises(StoreUnavailable) as raised:
            watch.ping()
    finally:
        watch.close()
    assert "secret" not in str(raised.value)
    assert "127.0.0.1" in str(raised.value)


def test_a_migrated_store_answers_and_its_figures_are_zeros(watch: StoreWatch) -> None:
    assert watch.ping() == "answered"
    figures = watch.figures()
    assert figures.states == dict.fromkeys(
        ("pending", "queued", "retrying", "acked", "superseded", "dead"), 0
    )
    assert (figures.replayed, figures.last_ack_at, figures.reconcile) == (0, None, None)


def test_the_figures_count_states_replays_the_newest_ack_and_the_newest_finished_run_of_every_source(
    store: Store, watch: StoreWatch
) -> None:
    before = datetime.now(UTC)
    acked = ingest_one(store, new_message("000.00.00.H01-210605-0001"))
    refused = ingest_one(store, new_message("000.00.00.H01-210605-0002"))
    ingest_one(store, new_message("000.00.00.H01-210605-0003"))
    deliver(store, acked, Result.ACKED)
    deliver(store, refused, Result.DEAD)
    store.replay([NewReplay(refused, "tester", "--id", remap=False)])
    deliver(store, refused, Result.DEAD)
    every = reconcile(store, None, ["in_sync", "in_sync", "missing", "unknown"], finished=True)
    reconcile(store, "legacy-csv", ["stale"], finished=True)  # one source only: not the 766 figure
    reconcile(store, None, ["differs"], finished=False)  # interrupted: not finished

    figures = watch.figures()

    assert figures.states == {
        "pending": 1,
        "queued": 0,
        "retrying": 0,
        "acked": 1,
        "superseded": 0,
        "dead": 1,
    }
    assert figures.replayed == 1
    assert figures.last_ack_at is not None
    assert before <= figures.last_ack_at <= datetime.now(UTC)
    assert figures.reconcile is not None
    assert figures.reconcile.run_id == every
    assert figures.reconcile.counts == {"in_sync": 2, "missing": 1, "unknown": 1}
    assert figures.reconcile.finished_at is not None
