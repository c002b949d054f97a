"""dvcgw dead, replay and trace as an operator runs them: output, exit codes, what they leave behind."""

from __future__ import annotations

import dataclasses
import getpass
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from gateway.store import MessageState, Store
from gateway.synthetic import dossier_code, igate_record
from tests.ops.ledger import REFUSAL, dead, kill, message_of
from tests.services import broker_prefix, postgres_schema

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/%2F"


def dvcgw(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        env={**os.environ, **env},
    )


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """The commands' store: a SQLite file (their PostgreSQL run is one test of its own below)."""
    return f"sqlite:///{tmp_path / 'gateway.sqlite3'}"


@pytest.fixture
def prefix() -> Iterator[str]:
    with broker_prefix() as name:
        yield name


@pytest.fixture
def env(tmp_path: Path, store_url: str, prefix: str) -> dict[str, str]:
    return {
        "DVCGW_PATHS_VAR": str(tmp_path / "var"),
        "DVCGW_STORE_URL": store_url,
        "DVCGW_BROKER_PREFIX": prefix,
        "DVCGW_PORTAL_PASSWORD": "",
    }


def snapshot(store: Store, ids: list[int]) -> tuple[object, ...]:
    """Everything a replay could change: states, attempts, replays, message count, the outbox."""
    rows = [store.message(i) for i in ids]
    return (
        store.state_counts(),
        [(r.state, r.attempts, r.dead_at) for r in rows if r is not None],
        store.replays_of(ids),
    )


def test_dead_list_json_lists_exactly_the_dead_messages_newest_first(
    store: Store, env: dict[str, str]
) -> None:
    first, second = dead(store, 1), dead(store, 2, error_class="DeliveryLimit", reason="delivered 20 times")
    store.ingest(None, [message_of(igate_record(3))], [])
    result = dvcgw("dead", "list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [item["id"] for item in listed] == [second, first]
    assert {
        k: listed[1][k] for k in ("MaHoSo", "revision", "source", "error_class", "reason", "attempts")
    } == {
        "MaHoSo": dossier_code(1),
        "revision": "20210605081500",
        "source": "igate-json",
        "error_class": "PortalRefused",
        "reason": REFUSAL,
        "attempts": 1,
    }
    assert listed[1]["dead_at"].endswith("+07:00")
    assert "2 dead messages" in result.stderr


def test_dead_list_prints_one_line_per_dead_message_selected(store: Store, env: dict[str, str]) -> None:
    dead(store, 1)
    wanted = dead(store, 2, error_class="DeliveryLimit", reason="delivered 20 times")
    result = dvcgw("dead", "list", "--error-class", "deliverylimit", "--since", "2020-01-01", env=env)
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith(f"#{wanted}  ")
    assert (
        f"{dossier_code(2)}  rev 20210605081500  igate-json  DeliveryLimit  1 attempt  delivered 20 times"
        in line
    )


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_a_time_that_is_not_iso_8601_is_a_usage_error_naming_the_option(
    env: dict[str, str], option: str
) -> None:
    result = dvcgw("dead", "list", option, "last tuesday", env=env)
    assert result.returncode == 2
    assert f"Invalid value for '{option}'" in result.stderr
    assert "ISO 8601" in result.stderr


def test_dead_show_prints_reason_attempts_packet_and_original_record(
    store: Store, env: dict[str, str]
) -> None:
    message_id = dead(store, 7)
    result = dvcgw("dead", "show", str(message_id), env=env)
    assert result.returncode == 0, result.stderr
    assert f"reason       {REFUSAL}" in result.stdout
    assert f"insert  dead  PortalRefused: {REFUSAL}" in result.stdout
    assert f'"MaHoSo": "{dossier_code(7)}"' in result.stdout
    assert f'"code":"{dossier_code(7)}"' in result.stdout  # the original record
    assert "/archive/export.ndjson, record 0" in result.stdout
    shown = json.loads(dvcgw("dead", "show", str(message_id), "--json", env=env).stdout)
    assert shown["packet"]["HoSo"]["MaHoSo"] == dossier_code(7)
    assert shown["attempt_log"][0]["error"] == REFUSAL


def test_dead_show_of_an_unknown_id_exits_1_saying_so(store: Store, env: dict[str, str]) -> None:
    result = dvcgw("dead", "show", "999", env=env)
    assert result.returncode == 1
    assert "no message #999 in the store" in result.stderr


def test_dead_show_of_a_message_that_is_not_dead_exits_1_pointing_at_trace(
    store: Store, env: dict[str, str]
) -> None:
    [stored] = store.ingest(None, [message_of(igate_record(7))], [])
    result = dvcgw("dead", "show", str(stored.message_id), env=env)
    assert result.returncode == 1
    assert f"is not dead: it is pending ('dvcgw trace {dossier_code(7)}'" in result.stderr


def test_replay_dry_run_lists_what_would_be_sent_and_changes_nothing(
    store: Store, env: dict[str, str]
) -> None:
    older, newer = dead(store, 1, revision=0), dead(store, 1, revision=1)
    other = dead(store, 2)
    before = snapshot(store, [older, newer, other])
    result = dvcgw("replay", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    assert f"replay  #{newer}  {dossier_code(1)}" in result.stdout
    assert f"replay  #{other}  {dossier_code(2)}" in result.stdout
    assert f"skip    #{older}" in result.stdout
    assert "dry run: 2 to replay, 1 skipped, 0 cannot be; nothing was sent or changed" in result.stderr
    assert snapshot(store, [older, newer, other]) == before


def test_replay_without_yes_and_without_an_answer_replays_nothing(store: Store, env: dict[str, str]) -> None:
    message_id = dead(store, 1)
    before = snapshot(store, [message_id])
    result = dvcgw("replay", env=env, stdin="")
    assert result.returncode == 1
    assert "not confirmed: nothing was replayed" in result.stderr
    assert snapshot(store, [message_id]) == before


def test_replay_yes_hands_the_messages_to_rabbitmq_and_records_who_replayed(
    store: Store, env: dict[str, str]
) -> None:
    first, second = dead(store, 1), dead(store, 2)
    result = dvcgw("replay", "--source", "igate-json", "--yes", env=env)
    assert result.returncode == 0, result.stderr
    assert f"replayed #{first}" in result.stdout
    assert "2 replayed, 0 skipped, 0 not" in result.stderr
    assert "2 messages handed to RabbitMQ for delivery" in result.stderr
    assert store.states([first, second]) == {first: MessageState.QUEUED, second: MessageState.QUEUED}
    assert {(r.message_id, r.operator, r.selection) for r in store.replays_of([first, second])} == {
        (first, getpass.getuser(), "--source igate-json"),
        (second, getpass.getuser(), "--source igate-json"),
    }


def test_replay_on_postgresql_hands_the_messages_over_too(env: dict[str, str]) -> None:
    with postgres_schema() as url, Store.open(url) as store:
        message_id = dead(store, 1)
        result = dvcgw("replay", "--yes", env={**env, "DVCGW_STORE_URL": url})
        assert result.returncode == 0, result.stderr
        assert store.states([message_id]) == {message_id: MessageState.QUEUED}


def test_replay_without_rabbitmq_leaves_the_messages_to_the_daemon(store: Store, env: dict[str, str]) -> None:
    message_id = dead(store, 1)
    result = dvcgw("replay", "--yes", env={**env, "DVCGW_BROKER_URL": UNREACHABLE_BROKER})
    assert result.returncode == 0, result.stderr
    assert "stay in the store for the daemon's relay" in result.stderr
    assert store.states([message_id]) == {message_id: MessageState.PENDING}


def test_replay_records_dvcgw_operator_as_who_replayed(store: Store, env: dict[str, str]) -> None:
    message_id = dead(store, 1)
    result = dvcgw("replay", "--yes", env={**env, "DVCGW_OPERATOR": "an.nguyen"})
    assert result.returncode == 0, result.stderr
    assert [r.operator for r in store.replays_of([message_id])] == ["an.nguyen"]


def test_replay_of_an_id_that_is_no_dead_message_exits_1(store: Store, env: dict[str, str]) -> None:
    message_id = dead(store, 1)
    result = dvcgw("replay", "--id", str(message_id), "--id", "999", "--yes", env=env)
    assert result.returncode == 1
    assert "no      #999: no such message" in result.stdout
    assert f"replayed #{message_id}" in result.stdout


def mapped_differently(store: Store) -> int:
    """A dead message whose stored record today's mapping reads into another packet."""
    message = message_of(igate_record(1))
    changed = orjson.dumps({**igate_record(1), "status": "PROCESSING"})
    [stored] = store.ingest(None, [dataclasses.replace(message, raw=changed)], [])
    kill(store, stored.message_id)
    return stored.message_id


def test_replay_remap_dry_run_shows_the_field_diff_and_changes_nothing(
    store: Store, env: dict[str, str]
) -> None:
    message_id = mapped_differently(store)
    before = snapshot(store, [message_id])
    result = dvcgw("replay", "--remap", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    assert f"remap   #{message_id}: 2 field(s) change" in result.stdout
    assert '    HoSo.TrangThaiHoSo: "1" → "4"' in result.stdout
    assert snapshot(store, [message_id]) == before


def test_replay_remap_sends_the_re_translated_packet_in_place_of_the_dead_one(
    store: Store, env: dict[str, str]
) -> None:
    message_id = mapped_differently(store)
    result = dvcgw("replay", "--remap", "--yes", env=env)
    assert result.returncode == 0, result.stderr
    [message, replacement] = store.messages_of(dossier_code(1))
    assert message.id == message_id
    assert f"replayed #{message_id} as #{replacement.id} (re-translated)" in result.stdout
    assert (message.state, replacement.state) == (MessageState.SUPERSEDED, MessageState.QUEUED)
    assert orjson.loads(replacement.packet)["HoSo"]["TrangThaiHoSo"] == "4"


def test_replay_remap_of_a_record_that_no_longer_translates_exits_1_with_the_reason(
    store: Store, env: dict[str, str]
) -> None:
    message = message_of(igate_record(1))
    broken = dataclasses.replace(message, raw=orjson.dumps({**igate_record(1), "status": "LOST"}))
    [stored] = store.ingest(None, [broken], [])
    kill(store, stored.message_id)
    result = dvcgw("replay", "--remap", "--yes", env=env)
    assert result.returncode == 1
    assert (
        f"cannot remap #{stored.message_id}: the record no longer translates: HoSo.TrangThaiHoSo"
        in result.stdout
    )
    assert store.states([stored.message_id]) == {stored.message_id: MessageState.DEAD}


def test_trace_shows_the_life_and_says_the_portal_was_not_asked_without_a_password(
    store: Store, env: dict[str, str]
) -> None:
    message_id = dead(store, 7)
    result = dvcgw("trace", dossier_code(7), env=env)
    assert result.returncode == 0, result.stderr
    assert f"Dossier {dossier_code(7)} (source igate-json)" in result.stdout
    assert f"#{message_id}  revision 20210605081500  dead" in result.stdout
    assert f"#{message_id} attempt 1  " in result.stdout
    assert "Portal (TraCuuHoSo): not asked: portal.password is not set" in result.stdout
    document = json.loads(dvcgw("trace", dossier_code(7), "--json", env=env).stdout)
    assert document["revisions"][0]["attempts"][0]["error"] == REFUSAL


def test_trace_of_a_dossier_never_received_exits_1(store: Store, env: dict[str, str]) -> None:
    result = dvcgw("trace", "000.00.22.H33-000000-0000", env=env)
    assert result.returncode == 1
    assert "the store never received a dossier '000.00.22.H33-000000-0000'" in result.stderr


@pytest.mark.parametrize(
    "command", [["dead", "list"], ["dead", "show", "1"], ["replay", "--yes"], ["trace", "X"]]
)
def test_every_command_exits_3_when_the_store_is_unreachable(env: dict[str, str], command: list[str]) -> None:
    result = dvcgw(*command, env={**env, "DVCGW_STORE_URL": "postgresql://gw:secret@127.0.0.1:1/gateway"})
    assert result.returncode == 3
    assert "127.0.0.1" in result.stderr
    assert "secret" not in result.stderr
