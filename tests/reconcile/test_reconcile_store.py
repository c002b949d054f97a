"""The store's side of reconciliation, on SQLite and PostgreSQL: runs under a lease, resumed;
one finding per dossier per run; repairs that put the latest revision back in the outbox."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from gateway.reconcile.classify import Held
from gateway.reconcile.finding import judge
from gateway.reconcile.window import local_date
from gateway.store import MessageState, NewFinding, Store
from gateway.synthetic import dossier_code
from tests.reconcile.reconcile_ledger import hash_of, new_run, stored

LEASE = 60.0


def finding(store: Store, i: int, portal: Held | None) -> NewFinding:
    code = dossier_code(i)
    return judge(code, store.reconcile_dossiers([code]).get(code), portal, via="lookup")


def test_a_second_process_is_refused_while_a_run_holds_its_lease(store: Store) -> None:
    first = store.reconcile_claim(new_run(), "host:1", LEASE)
    assert first.run is not None
    assert not first.resumed
    second = store.reconcile_claim(new_run(), "host:2", LEASE)
    assert second.run is None
    assert f"run #{first.run.id} is in progress" in (second.refused or "")
    assert [run.id for run in store.reconcile_active()] == [first.run.id]


def test_an_interrupted_run_is_resumed_by_the_next_asking_the_same_and_a_finished_one_is_not(
    store: Store,
) -> None:
    first = store.reconcile_claim(new_run(), "host:1", LEASE).run
    assert first is not None
    store.reconcile_record(
        first.id, "host:1", [], lease_s=LEASE, operator="t", phase="listing", listing_cursor="c2"
    )
    assert store.reconcile_release(first.id, "host:1")
    other_source = store.reconcile_claim(new_run(source="legacy-csv"), "host:2", LEASE)
    assert other_source.run is not None
    assert other_source.run.id != first.id
    store.reconcile_release(other_source.run.id, "host:2", finished=True)
    again = store.reconcile_claim(new_run(), "host:2", LEASE)
    assert again.resumed
    assert again.run is not None
    assert (again.run.id, again.run.listing_cursor, again.run.holder) == (first.id, "c2", "host:2")
    store.reconcile_release(first.id, "host:2", finished=True)
    fresh = store.reconcile_claim(new_run(), "host:3", LEASE)
    assert fresh.run is not None
    assert not fresh.resumed
    assert fresh.run.id != first.id
    store.reconcile_release(fresh.run.id, "host:3", finished=True)
    assert store.reconcile_claim(new_run(), "host:4", LEASE, resume_id=first.id).refused == (
        f"run #{first.id} is done: nothing to resume"
    )


def test_a_fixed_window_is_resumed_only_by_the_same_bounds(store: Store) -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    run = store.reconcile_claim(
        new_run("range", since=start, until=start + timedelta(days=1)), "h:1", LEASE
    ).run
    assert run is not None
    store.reconcile_release(run.id, "h:1")
    later = new_run("range", since=start, until=start + timedelta(days=2))
    other = store.reconcile_claim(later, "h:2", LEASE)
    assert other.run is not None
    assert other.run.id != run.id
    store.reconcile_release(other.run.id, "h:2", finished=True)
    same = store.reconcile_claim(new_run("range", since=start, until=start + timedelta(days=1)), "h:3", LEASE)
    assert same.run is not None
    assert (same.run.id, same.resumed) == (run.id, True)


def test_a_scheduled_run_is_not_due_within_its_interval_of_the_last_one(store: Store) -> None:
    run = store.reconcile_claim(new_run(started_by="daemon"), "h:1", LEASE, due_after_s=900).run
    assert run is not None
    store.reconcile_release(run.id, "h:1", finished=True)
    assert (
        store.reconcile_claim(new_run(started_by="daemon"), "h:2", LEASE, due_after_s=900).refused
        == "not due yet"
    )
    assert store.reconcile_claim(new_run(started_by="cli"), "h:2", LEASE, due_after_s=900).run is not None


def test_the_dossiers_view_has_every_revision_in_arrival_order_and_names_the_latest(store: Store) -> None:
    older = stored(store, 1, 0)
    newer = stored(store, 1, 1, acked=False)
    view = store.reconcile_dossiers([dossier_code(1), dossier_code(2)])
    assert list(view) == [dossier_code(1)]
    dossier = view[dossier_code(1)]
    assert [r.message_id for r in dossier.revisions] == [older, newer]
    assert dossier.latest.message_id == newer
    assert dossier.latest.state is MessageState.PENDING
    assert dossier.revisions[0].packet.startswith(b"{")


def test_unseen_dossiers_are_those_of_the_window_and_source_the_run_has_not_judged(store: Store) -> None:
    for i in range(5):
        stored(store, i)
    run = store.reconcile_claim(new_run(), "h:1", LEASE).run
    assert run is not None
    now = datetime.now(UTC)
    codes = sorted(dossier_code(i) for i in range(5))
    assert (
        store.reconcile_unseen(
            run.id,
            now - timedelta(days=1),
            now + timedelta(seconds=5),
            source=None,
            after_code=None,
            limit=10,
        )
        == codes
    )
    assert (
        store.reconcile_unseen(
            run.id,
            now + timedelta(seconds=5),
            now + timedelta(days=1),
            source=None,
            after_code=None,
            limit=10,
        )
        == []
    )
    assert (
        store.reconcile_unseen(
            run.id, None, now + timedelta(seconds=5), source="legacy-csv", after_code=None, limit=10
        )
        == []
    )
    judged = [finding(store, i, None) for i in (0, 3)]
    store.reconcile_record(run.id, "h:1", judged, lease_s=LEASE, operator="t", phase="lookup", repair=False)
    left = [c for c in codes if c not in {dossier_code(0), dossier_code(3)}]
    assert (
        store.reconcile_unseen(
            run.id, None, now + timedelta(seconds=5), source="igate-json", after_code=None, limit=10
        )
        == left
    )
    assert (
        store.reconcile_unseen(
            run.id, None, now + timedelta(seconds=5), source=None, after_code=left[0], limit=1
        )
        == left[1:2]
    )


def test_a_repair_puts_the_acknowledged_latest_revision_back_in_the_outbox_once_and_records_it(
    store: Store,
) -> None:
    acked = stored(store, 1)
    older = stored(store, 2, 0)
    stored(store, 2, 1, acked=False)  # the latest of dossier 2 is on its way: nothing to repair
    run = store.reconcile_claim(new_run(), "h:1", LEASE).run
    assert run is not None
    missing = finding(store, 1, None)
    assert missing.repair_message_id == acked
    assert missing.portal_lost
    forced = dataclasses.replace(finding(store, 2, None), repair_message_id=older, kind="stale")
    done = store.reconcile_record(
        run.id, "h:1", [missing, forced], lease_s=LEASE, operator="op", phase="lookup"
    )
    assert (done.held, done.new, done.repaired) == (True, 2, {dossier_code(1): acked})
    message = store.message(acked)
    assert message is not None
    assert (message.state, message.attempts) == (MessageState.PENDING, 0)
    dossier = store.dossier(dossier_code(1))
    assert dossier is not None
    assert not dossier.portal_known
    assert store.message(older).state is MessageState.ACKED  # type: ignore[union-attr]
    [repair] = store.reconcile_repairs_of(dossier_code(1))
    assert (repair.run_id, repair.message_id, repair.kind, repair.operator) == (
        run.id,
        acked,
        "missing",
        "op",
    )
    [row] = store.reconcile_findings_of(dossier_code(1))
    assert (row.kind, row.repaired, row.message_id) == ("missing", True, acked)

    again = store.reconcile_record(run.id, "h:1", [missing], lease_s=LEASE, operator="op", phase="lookup")
    assert (again.new, again.repaired) == (0, {})
    assert len(store.reconcile_findings_of(dossier_code(1))) == 1
    assert len(store.reconcile_repairs_of(dossier_code(1))) == 1


def test_without_repair_findings_are_recorded_and_nothing_moves(store: Store) -> None:
    acked = stored(store, 1)
    run = store.reconcile_claim(new_run(repair=False), "h:1", LEASE).run
    assert run is not None
    done = store.reconcile_record(
        run.id, "h:1", [finding(store, 1, None)], lease_s=LEASE, operator="op", phase="lookup", repair=False
    )
    assert (done.new, done.repaired) == (1, {})
    assert store.states([acked]) == {acked: MessageState.ACKED}


def test_a_process_that_lost_the_lease_writes_nothing(store: Store) -> None:
    stored(store, 1)
    run = store.reconcile_claim(new_run(), "h:1", LEASE).run
    assert run is not None
    store.reconcile_release(run.id, "h:1")
    assert store.reconcile_claim(new_run(), "h:2", LEASE).resumed
    lost = store.reconcile_record(
        run.id, "h:1", [finding(store, 1, None)], lease_s=LEASE, operator="op", phase="lookup"
    )
    assert not lost.held
    assert store.reconcile_findings_of(dossier_code(1)) == []


def test_the_tally_counts_findings_by_class_source_agency_and_day(store: Store) -> None:
    synced = stored(store, 1)
    stored(store, 2)
    run = store.reconcile_claim(new_run(), "h:1", LEASE).run
    assert run is not None
    findings = [
        finding(store, 1, Held("1", hash_of(store, synced))),
        finding(store, 2, None),
        judge(
            "000.00.99.H99-210601-000001",
            None,
            Held("2", "x"),
            via="listing",
            portal_changed_at=datetime.now(UTC),
        ),
    ]
    store.reconcile_record(run.id, "h:1", findings, lease_s=LEASE, operator="op", phase="listing")
    tally = {(t.kind, t.source, t.agency): (t.count, t.repaired) for t in store.reconcile_tally(run.id)}
    agency = "UBND thành phố Rạch Giá"
    assert tally == {
        ("in_sync", "igate-json", agency): (1, 0),
        ("missing", "igate-json", agency): (1, 1),
        ("unknown", None, "000.00.99.H99"): (1, 0),
    }
    assert {t.activity_date for t in store.reconcile_tally(run.id)} == {local_date(datetime.now(UTC))}
    listed = store.reconcile_findings(run.id, kinds=["missing", "unknown"])
    assert [f.kind for f in listed] == ["missing", "unknown"]
