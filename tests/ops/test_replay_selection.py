"""Which dead messages a replay takes: the latest revision of each selected dossier, and why not others."""

from __future__ import annotations

from datetime import datetime

from gateway.mapping.dates import NATIONAL_TZ
from gateway.ops.selection import describe, plan_replay
from gateway.store import DeadQuery, Store
from gateway.synthetic import dossier_code, igate_record
from tests.ops.ledger import acknowledge, dead, message_of


def test_every_dead_message_is_chosen_when_each_is_its_dossiers_latest(store: Store) -> None:
    ids = [dead(store, i) for i in range(3)]
    plan = plan_replay(store, DeadQuery())
    assert [row.id for row in plan.chosen] == ids[::-1]
    assert plan.skipped == []
    assert plan.unmatched == []


def test_an_older_dead_revision_is_skipped_when_a_newer_one_is_selected(store: Store) -> None:
    older = dead(store, 1, revision=0)
    newer = dead(store, 1, revision=1)
    plan = plan_replay(store, DeadQuery())
    assert [row.id for row in plan.chosen] == [newer]
    [skipped] = plan.skipped
    assert skipped.row.id == older
    assert f"newer revision of dossier {dossier_code(1)} is replayed instead: #{newer}" in skipped.reason


def test_an_older_dead_revision_is_skipped_when_a_newer_one_was_acknowledged(store: Store) -> None:
    older = dead(store, 1, revision=0)
    [newer] = store.ingest(None, [message_of(igate_record(1, revision=1))], [])
    acknowledge(store, newer.message_id)
    plan = plan_replay(store, DeadQuery())
    assert plan.chosen == []
    [skipped] = plan.skipped
    assert skipped.row.id == older
    assert f"acknowledged a newer revision of dossier {dossier_code(1)} already: #{newer.message_id}" in (
        skipped.reason
    )


def test_an_older_dead_revision_is_skipped_when_the_newer_one_is_still_on_its_way(store: Store) -> None:
    dead(store, 1, revision=0)
    [newer] = store.ingest(None, [message_of(igate_record(1, revision=1))], [])
    [skipped] = plan_replay(store, DeadQuery()).skipped
    assert f"#{newer.message_id}" in skipped.reason
    assert "waiting to be published" in skipped.reason


def test_an_older_dead_revision_selected_alone_points_at_the_newer_dead_one(store: Store) -> None:
    older = dead(store, 1, revision=0)
    newer = dead(store, 1, revision=1)
    plan = plan_replay(store, DeadQuery(ids=(older,)))
    assert plan.chosen == []
    [skipped] = plan.skipped
    assert f"#{newer}" in skipped.reason
    assert "dead too; select it to replay" in skipped.reason


def test_ids_that_select_no_dead_message_are_reported_with_the_reason(store: Store) -> None:
    chosen = dead(store, 1)
    other_source = dead(store, 2)
    [alive] = store.ingest(None, [message_of(igate_record(3))], [])
    query = DeadQuery(ids=(chosen, other_source, alive.message_id, 999), ma_ho_so=dossier_code(1))
    plan = plan_replay(store, query)
    assert [row.id for row in plan.chosen] == [chosen]
    assert {(u.message_id, u.reason) for u in plan.unmatched} == {
        (other_source, "dead, but outside the other selectors (or beyond --limit)"),
        (alive.message_id, "not dead: it is pending"),
        (999, "no such message"),
    }


def test_the_selection_is_recorded_as_the_options_that_made_it() -> None:
    since = datetime(2026, 12, 1, tzinfo=NATIONAL_TZ)
    query = DeadQuery(ids=(4, 5), source="igate-json", error_class="PortalRefused", since=since, limit=3)
    assert describe(query) == (
        "--id 4 --id 5 --source igate-json --error-class PortalRefused "
        "--since 2026-12-01T00:00:00+07:00 --limit 3"
    )
    assert describe(DeadQuery()) == "every dead message"
