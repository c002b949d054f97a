"""Delivery: only a dossier's newest revision is sent, by one worker at a time, and the acknowledged
revision only moves forward."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.store import Decision, DeliveryDecision, DeliveryOutcome, MessageState, Result, Store
from tests.polling import wait_until
from tests.store.samples import CODE, ingest_one, new_message, state_of

OLD, NEW = "20210605100000", "20210606100000"


def decide(store: Store, message_id: int, lease_s: float = 60) -> Decision:
    [decision] = store.begin_delivery([message_id], lease_s)
    return decision.decision


def test_the_latest_revision_of_a_new_dossier_is_sent_as_an_insert(store: Store) -> None:
    message_id = ingest_one(store, new_message())
    assert store.begin_delivery([message_id], 60) == [DeliveryDecision(message_id, Decision.SEND, False, 0)]
    dossier = store.dossier(CODE)
    assert dossier is not None
    assert dossier.lease_message_id == message_id
    assert dossier.lease_until is not None


def test_an_unknown_message_is_unknown(store: Store) -> None:
    assert store.begin_delivery([424242], 60) == [DeliveryDecision(424242, Decision.UNKNOWN, False, 0)]


def test_an_older_revision_is_superseded_and_recorded_so(store: Store) -> None:
    older = ingest_one(store, new_message(revision=OLD))
    ingest_one(store, new_message(revision=NEW))
    assert decide(store, older) is Decision.SUPERSEDED
    assert state_of(store, older) is MessageState.SUPERSEDED


def test_an_older_revision_arriving_late_is_superseded_even_after_the_newer_was_acknowledged(
    store: Store,
) -> None:
    newer = ingest_one(store, new_message(revision=NEW))
    assert decide(store, newer) is Decision.SEND
    store.finish_delivery([DeliveryOutcome(newer, Result.ACKED, 1)])
    older = ingest_one(store, new_message(revision=OLD))
    assert decide(store, older) is Decision.SUPERSEDED


def test_a_second_delivery_of_an_acknowledged_message_is_done(store: Store) -> None:
    message_id = ingest_one(store, new_message())
    decide(store, message_id)
    store.finish_delivery([DeliveryOutcome(message_id, Result.ACKED, 1)])
    assert decide(store, message_id) is Decision.DONE


def test_a_delivery_of_a_superseded_or_dead_message_is_done(store: Store) -> None:
    older = ingest_one(store, new_message(revision=OLD))
    newer = ingest_one(store, new_message(revision=NEW))
    decide(store, older)
    decide(store, newer)
    store.finish_delivery([DeliveryOutcome(newer, Result.DEAD, 1, error_class="PortalRejected", error="no")])
    assert [d.decision for d in store.begin_delivery([older, newer], 60)] == [Decision.DONE, Decision.DONE]


def test_a_message_repeated_in_one_batch_is_sent_once(store: Store) -> None:
    message_id = ingest_one(store, new_message())
    decisions = store.begin_delivery([message_id, message_id], 60)
    assert [d.decision for d in decisions] == [Decision.SEND, Decision.DONE]


def test_a_dossier_being_sent_defers_its_next_delivery(open_store: Callable[[], Store]) -> None:
    one, two = open_store(), open_store()
    message_id = ingest_one(one, new_message())
    assert decide(one, message_id) is Decision.SEND
    assert decide(two, message_id) is Decision.DEFER
    assert state_of(two, message_id) is not MessageState.SUPERSEDED


def test_two_workers_competing_for_one_dossier_send_it_once(open_store: Callable[[], Store]) -> None:
    one, two = open_store(), open_store()
    older = ingest_one(one, new_message(revision=OLD))
    newer = ingest_one(one, new_message(revision=NEW))
    batch = [older, newer]
    decisions = [d.decision for d in one.begin_delivery(batch, 60) + two.begin_delivery(batch, 60)]
    assert decisions.count(Decision.SEND) == 1
    assert sorted(decisions) == sorted([Decision.SEND, Decision.SUPERSEDED, Decision.DONE, Decision.DEFER])


def test_a_newer_revision_waits_while_an_older_one_is_being_sent(store: Store) -> None:
    older = ingest_one(store, new_message(revision=OLD))
    assert decide(store, older) is Decision.SEND
    newer = ingest_one(store, new_message(revision=NEW))
    assert decide(store, newer) is Decision.DEFER
    store.finish_delivery([DeliveryOutcome(older, Result.ACKED, 1)])
    assert decide(store, newer) is Decision.SEND


def test_an_expired_lease_lets_another_worker_send(open_store: Callable[[], Store]) -> None:
    crashed, worker = open_store(), open_store()
    message_id = ingest_one(crashed, new_message())
    assert decide(crashed, message_id, lease_s=0.2) is Decision.SEND  # then the worker dies
    wait_until(lambda: decide(worker, message_id) is Decision.SEND, "the lease never expired")


def test_finishing_releases_the_lease(store: Store) -> None:
    message_id = ingest_one(store, new_message())
    decide(store, message_id)
    store.finish_delivery([DeliveryOutcome(message_id, Result.RETRY, 1, error_class="PortalUnavailable")])
    dossier = store.dossier(CODE)
    assert dossier is not None
    assert (dossier.lease_message_id, dossier.lease_until) == (None, None)
    assert decide(store, message_id) is Decision.SEND


def test_a_deferred_report_does_not_release_the_lease_another_worker_holds(
    open_store: Callable[[], Store],
) -> None:
    one, two = open_store(), open_store()
    message_id = ingest_one(one, new_message())
    assert decide(one, message_id) is Decision.SEND
    assert decide(two, message_id) is Decision.DEFER
    two.finish_delivery([DeliveryOutcome(message_id, Result.DEFERRED, 0)])
    assert decide(two, message_id) is Decision.DEFER


def test_an_acknowledgement_records_the_message_and_moves_the_dossier(store: Store) -> None:
    message_id = ingest_one(store, new_message(status="2"))
    decide(store, message_id)
    outcome = DeliveryOutcome(message_id, Result.ACKED, 1, operation="insert", duration_ms=12.5, worker="w1")
    store.finish_delivery([outcome])
    row = store.message(message_id)
    assert row is not None
    assert (row.state, row.attempts) == (MessageState.ACKED, 1)
    assert row.acked_at is not None
    dossier = store.dossier(CODE)
    assert dossier is not None
    assert (dossier.acked_message_id, dossier.acked_revision, dossier.acked_content_hash) == (
        message_id,
        row.revision,
        row.content_hash,
    )
    assert (dossier.portal_known, dossier.status) == (True, "2")
    [attempt] = store.attempts_of(message_id)
    # The values the worker reported, stored as given (a record, not a timing).
    reported = ("attempt", "outcome", "operation", "duration_ms", "worker")
    stored = tuple(getattr(attempt, name) for name in reported)
    assert stored == (1, Result.ACKED, "insert", 12.5, "w1")


def test_a_dossier_the_portal_holds_is_sent_as_an_update(store: Store) -> None:
    older = ingest_one(store, new_message(revision=OLD))
    decide(store, older)
    store.finish_delivery([DeliveryOutcome(older, Result.ACKED, 1)])
    newer = ingest_one(store, new_message(revision=NEW))
    assert store.begin_delivery([newer], 60) == [DeliveryDecision(newer, Decision.SEND, True, 0)]


def test_a_late_acknowledgement_of_an_older_revision_does_not_move_the_acknowledged_revision_back(
    open_store: Callable[[], Store],
) -> None:
    one, two = open_store(), open_store()
    older = ingest_one(one, new_message(revision=OLD))
    assert decide(one, older, lease_s=0.2) is Decision.SEND  # a slow portal call outlives its lease
    newer = ingest_one(one, new_message(revision=NEW))
    wait_until(lambda: decide(two, newer) is Decision.SEND, "the lease never expired")
    two.finish_delivery([DeliveryOutcome(newer, Result.ACKED, 1)])
    one.finish_delivery([DeliveryOutcome(older, Result.ACKED, 1)])
    dossier = one.dossier(CODE)
    assert dossier is not None
    assert (dossier.acked_message_id, dossier.acked_revision) == (newer, NEW)
    assert state_of(one, older) is MessageState.ACKED


def test_a_later_acknowledgement_of_an_equal_revision_wins(store: Store) -> None:
    first = ingest_one(store, new_message(content_hash="first"))
    second = ingest_one(store, new_message(content_hash="second"))
    store.finish_delivery([DeliveryOutcome(second, Result.ACKED, 1), DeliveryOutcome(first, Result.ACKED, 1)])
    dossier = store.dossier(CODE)
    assert dossier is not None
    assert (dossier.acked_message_id, dossier.acked_content_hash) == (second, "second")


def test_a_retry_records_the_error_and_the_attempt(store: Store) -> None:
    message_id = ingest_one(store, new_message())
    decide(store, message_id)
    store.finish_delivery(
        [DeliveryOutcome(message_id, Result.RETRY, 1, error_class="PortalUnavailable", error="HTTP 503")]
    )
    row = store.message(message_id)
    assert row is not None
    assert (row.state, row.attempts, row.last_error_class, row.last_error) == (
        MessageState.RETRYING,
        1,
        "PortalUnavailable",
        "HTTP 503",
    )
    assert [a.outcome for a in store.attempts_of(message_id)] == [Result.RETRY]
    assert store.begin_delivery([message_id], 60)[0].attempts == 1


def test_a_dead_message_keeps_its_reason(store: Store) -> None:
    message_id = ingest_one(store, new_message())
    decide(store, message_id)
    store.finish_delivery(
        [DeliveryOutcome(message_id, Result.DEAD, 2, error_class="PortalRejected", error="MaTTHC unknown")]
    )
    row = store.message(message_id)
    assert row is not None
    assert (row.state, row.last_error_class, row.last_error) == (
        MessageState.DEAD,
        "PortalRejected",
        "MaTTHC unknown",
    )
    assert row.dead_at is not None
    assert store.unfinished() == 0


@pytest.mark.parametrize("result", [Result.RETRY, Result.DEAD])
def test_several_failures_are_recorded_in_one_call(store: Store, result: Result) -> None:
    ids = [ingest_one(store, new_message(f"000.00.22.H33-210604-000{i}")) for i in range(3)]
    store.begin_delivery(ids, 60)
    store.finish_delivery([DeliveryOutcome(i, result, 1, error_class="E", error=f"why {i}") for i in ids])
    rows = [store.message(i) for i in ids]
    assert [(r.state, r.last_error) for r in rows if r is not None] == [
        (MessageState.RETRYING if result is Result.RETRY else MessageState.DEAD, f"why {i}") for i in ids
    ]


def test_a_deferral_waits_without_spending_an_attempt(store: Store) -> None:
    message_id = ingest_one(store, new_message())
    store.finish_delivery([DeliveryOutcome(message_id, Result.DEFERRED, 0)])
    row = store.message(message_id)
    assert row is not None
    assert (row.state, row.attempts) == (MessageState.RETRYING, 0)
    assert store.attempts_of(message_id) == []


def test_a_late_failure_report_does_not_undo_an_acknowledgement(store: Store) -> None:
    message_id = ingest_one(store, new_message())
    store.finish_delivery([DeliveryOutcome(message_id, Result.ACKED, 2)])
    store.finish_delivery([DeliveryOutcome(message_id, Result.RETRY, 1, error_class="PortalUnavailable")])
    row = store.message(message_id)
    assert row is not None
    assert (row.state, row.attempts) == (MessageState.ACKED, 2)
    assert len(store.attempts_of(message_id)) == 2


def test_an_outcome_for_an_unknown_message_is_ignored(store: Store) -> None:
    store.finish_delivery([DeliveryOutcome(424242, Result.ACKED, 1)])
    assert store.attempts_of(424242) == []


def test_state_counts_include_every_state(store: Store) -> None:
    acked = ingest_one(store, new_message("a"))
    ingest_one(store, new_message("b"))
    store.finish_delivery([DeliveryOutcome(acked, Result.ACKED, 1)])
    assert store.state_counts() == {
        "pending": 1,
        "queued": 0,
        "retrying": 0,
        "acked": 1,
        "superseded": 0,
        "dead": 0,
    }
    assert store.unfinished() == 1


def test_a_batch_of_five_hundred_is_decided_and_finished(store: Store) -> None:
    ids = [i.message_id for i in store.ingest(None, [new_message(f"code-{n:04}") for n in range(500)], [])]
    decisions = store.begin_delivery(ids, 60)
    assert {d.decision for d in decisions} == {Decision.SEND}
    store.finish_delivery([DeliveryOutcome(i, Result.ACKED, 1) for i in ids])
    assert store.state_counts()["acked"] == 500
