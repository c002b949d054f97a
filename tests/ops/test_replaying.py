"""Replaying through the store: dead messages back in the outbox, recorded, re-translated when asked."""

from __future__ import annotations

import getpass

from gateway.ops.remap import FieldChange, Remapped
from gateway.ops.replay import operator_name, replay
from gateway.ops.selection import plan_replay
from gateway.store import DeadQuery, MessageState, Store
from gateway.synthetic import igate_record
from tests.ops.ledger import dead, message_of


def test_chosen_messages_go_back_to_the_outbox_and_each_replay_is_recorded(store: Store) -> None:
    ids = [dead(store, i) for i in range(3)]
    plan = plan_replay(store, DeadQuery())
    steps: list[int] = []
    report = replay(store, plan.chosen, operator="an.nguyen", selection="all dead", progress=steps.append)
    assert report.handed == {i: i for i in ids[::-1]}
    assert report.refused == {}
    assert sum(steps) == 3
    assert store.states(ids) == dict.fromkeys(ids, MessageState.PENDING)
    replays = store.replays_of(ids)
    assert {(r.message_id, r.operator, r.selection, r.remap) for r in replays} == {
        (i, "an.nguyen", "all dead", False) for i in ids
    }


def test_a_message_replayed_by_someone_else_meanwhile_is_left_alone(store: Store) -> None:
    message_id = dead(store, 1)
    plan = plan_replay(store, DeadQuery())
    store.requeue([message_id], reset_attempts=True)  # another operator was quicker
    report = replay(store, plan.chosen, operator="op", selection="all")
    assert report.handed == {}
    assert report.refused == {message_id: "no longer dead (it is pending): left as it is"}
    assert store.replays_of([message_id]) == []


def test_with_remap_a_changed_packet_is_sent_as_a_new_message_and_the_dead_one_superseded(
    store: Store,
) -> None:
    unchanged = dead(store, 1)
    changed = dead(store, 2)
    untranslatable = dead(store, 3)
    replacement = message_of(igate_record(2, status="PROCESSING"))
    remapped = {
        unchanged: Remapped(unchanged, None, []),
        changed: Remapped(changed, replacement, [FieldChange("HoSo.TrangThaiHoSo", "1", "4")]),
    }
    plan = plan_replay(store, DeadQuery())
    report = replay(store, plan.chosen, operator="op", selection="all", remapped=remapped)
    new_id = report.handed[changed]
    assert new_id != changed
    assert report.handed[unchanged] == unchanged
    assert report.refused == {untranslatable: "not re-translated"}
    assert store.states([unchanged, changed, new_id, untranslatable]) == {
        unchanged: MessageState.PENDING,
        changed: MessageState.SUPERSEDED,
        new_id: MessageState.PENDING,
        untranslatable: MessageState.DEAD,
    }
    [record] = store.replays_of([changed])
    assert (record.remap, record.replacement_id) == (True, new_id)


def test_the_operator_is_dvcgw_operator_else_the_os_user() -> None:
    assert operator_name({"DVCGW_OPERATOR": " an.nguyen "}) == "an.nguyen"
    assert operator_name({"DVCGW_OPERATOR": ""}) == getpass.getuser()
    assert operator_name({}) == getpass.getuser()
