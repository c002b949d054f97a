"""Classification: the portal's view of one dossier against the revisions the gateway received."""

from __future__ import annotations

import pytest

from gateway.reconcile.classify import DRIFT, Held, Kind, Sent, classify
from gateway.store import MessageState

ACKED, DEAD = MessageState.ACKED, MessageState.DEAD
OLD = Sent(1, "20210605100000", "2", ACKED, "hash-old")
NEW = Sent(2, "20210606100000", "4", ACKED, "hash-new")


def latest(state: MessageState) -> list[Sent]:
    return [OLD, Sent(2, NEW.revision, NEW.status, state, NEW.record_hash)]


def test_the_portal_holding_the_latest_record_is_in_sync_with_nothing_to_repair() -> None:
    verdict = classify([OLD, NEW], 2, Held("4", "hash-new"))
    assert (verdict.kind, verdict.repair) == (Kind.IN_SYNC, None)


def test_a_dossier_the_portal_does_not_hold_is_missing_and_its_latest_revision_is_repaired() -> None:
    verdict = classify([OLD, NEW], 2, None)
    assert (verdict.kind, verdict.repair) == (Kind.MISSING, 2)
    assert "does not hold" in verdict.detail


def test_the_portal_holding_an_older_revision_is_stale_and_names_it() -> None:
    verdict = classify([OLD, NEW], 2, Held("2", "hash-old"))
    assert (verdict.kind, verdict.repair) == (Kind.STALE, 2)
    assert "revision 20210605100000 (#1)" in verdict.detail


def test_another_status_with_a_record_the_gateway_never_sent_is_stale() -> None:
    verdict = classify([OLD, NEW], 2, Held("9", "someone-else"))
    assert (verdict.kind, verdict.repair) == (Kind.STALE, 2)
    assert "status is 9, not 4" in verdict.detail


def test_the_same_status_with_another_record_differs() -> None:
    verdict = classify([OLD, NEW], 2, Held("4", "someone-else"))
    assert (verdict.kind, verdict.repair) == (Kind.DIFFERS, 2)


def test_a_dossier_only_the_portal_holds_is_unknown_and_not_drift() -> None:
    verdict = classify([], None, Held("1", "x"))
    assert verdict.kind is Kind.UNKNOWN
    assert Kind.UNKNOWN not in DRIFT


@pytest.mark.parametrize("state", [MessageState.PENDING, MessageState.QUEUED, MessageState.RETRYING])
def test_a_latest_revision_still_on_its_way_is_in_flight_whatever_the_portal_holds(
    state: MessageState,
) -> None:
    for portal in (None, Held("2", "hash-old"), Held("4", "hash-new")):
        verdict = classify(latest(state), 2, portal)
        assert (verdict.kind, verdict.repair) == (Kind.IN_FLIGHT, None)
    assert Kind.IN_FLIGHT not in DRIFT


def test_a_dead_latest_revision_is_drift_but_left_to_the_operator_to_replay() -> None:
    verdict = classify(latest(DEAD), 2, Held("2", "hash-old"))
    assert (verdict.kind, verdict.repair) == (Kind.STALE, None)
    assert "dvcgw replay --id 2" in verdict.detail
    assert classify(latest(DEAD), 2, None).kind is Kind.MISSING


def test_a_dead_latest_revision_the_portal_holds_exactly_is_in_sync() -> None:
    assert classify(latest(DEAD), 2, Held("4", "hash-new")).kind is Kind.IN_SYNC


def test_a_dossier_nobody_knows_cannot_be_judged() -> None:
    with pytest.raises(ValueError, match="neither"):
        classify([], None, None)
