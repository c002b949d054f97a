"""dvcgw ingest, run and topology as an operator runs them: exit codes, messages, what they leave behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.broker.connection import connect
from gateway.broker.topology import Topology
from gateway.config import BrokerConfig
from gateway.store import MessageState, Store
from tests.services import broker_prefix

SAMPLE = {
    "code": "000.00.22.H33-210604-0001",
    "procedure": {"code": "1.004889", "name": "Cấp giấy phép xây dựng"},
    "applicant": {"type": "citizen", "fullName": "Nguyễn Văn An"},
    "channel": "ONLINE",
    "status": "PROCESSING",
    "receivedAt": "2021-06-04T08:15:00+07:00",
    "updatedAt": "2021-06-05T10:00:00+07:00",
}
UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/%2F"


def dvcgw(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


@pytest.fixture
def broker() -> Iterator[BrokerConfig]:
    with broker_prefix() as prefix:
        yield BrokerConfig(prefix=prefix)


@pytest.fixture
def env(tmp_path: Path, broker: BrokerConfig) -> dict[str, str]:
    return {
        "DVCGW_PATHS_VAR": str(tmp_path / "var"),
        "DVCGW_STORE_URL": f"sqlite:///{tmp_path / 'gateway.sqlite3'}",
        "DVCGW_BROKER_PREFIX": broker.prefix,
    }


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """An igate-json export with one good record and one bad one."""
    bad = {**SAMPLE, "code": "000.00.22.H33-210604-0002", "status": "LOST"}
    file = tmp_path / "export.json"
    file.write_text(json.dumps([SAMPLE, bad], ensure_ascii=False), encoding="utf-8")
    return file


def queue_depth(broker: BrokerConfig, queue: str) -> int:
    connection = connect(broker)
    try:
        return int(connection.channel().queue_declare(queue, passive=True).method.message_count)
    finally:
        connection.close()


def test_ingest_stores_reports_rejections_and_hands_over_to_rabbitmq(
    export: Path, env: dict[str, str], broker: BrokerConfig, tmp_path: Path
) -> None:
    result = dvcgw("ingest", "--source", "igate-json", export, env=env)
    assert result.returncode == 1, result.stderr
    assert "rejected: export.json, record 1" in result.stderr
    assert "LOST" in result.stderr
    assert "1 stored, 0 duplicates, 1 rejected" in result.stdout
    assert "1 messages handed to RabbitMQ" in result.stderr
    assert export.exists(), "the operator's file stays where it was"
    with Store.open(env["DVCGW_STORE_URL"]) as store:
        assert store.state_counts()[MessageState.QUEUED] == 1
        assert len(store.rejections()) == 1
    assert queue_depth(broker, Topology.from_config(broker).sync_queue) == 1
    assert list((tmp_path / "var" / "archive" / "igate-json").glob("*export.json"))


def test_ingesting_the_same_file_again_finds_only_duplicates(export: Path, env: dict[str, str]) -> None:
    dvcgw("ingest", "--source", "igate-json", export, env=env)
    again = dvcgw("ingest", "--source", "igate-json", export, env=env)
    assert "0 stored, 1 duplicates" in again.stdout
    with Store.open(env["DVCGW_STORE_URL"]) as store:
        assert sum(store.state_counts().values()) == 1


def test_ingest_without_rabbitmq_keeps_the_messages_for_the_daemon(export: Path, env: dict[str, str]) -> None:
    result = dvcgw(
        "ingest", "--source", "igate-json", export, env={**env, "DVCGW_BROKER_URL": UNREACHABLE_BROKER}
    )
    assert result.returncode == 1  # the bad record; the good one is safe in the store
    assert "stay in the store" in result.stderr
    with Store.open(env["DVCGW_STORE_URL"]) as store:
        assert store.state_counts()[MessageState.PENDING] == 1


def test_run_exits_3_naming_rabbitmq_when_it_is_unreachable(env: dict[str, str]) -> None:
    result = dvcgw("run", env={**env, "DVCGW_BROKER_URL": UNREACHABLE_BROKER})
    assert result.returncode == 3
    assert "127.0.0.1:1" in result.stderr
    assert "rabbitmq-server" in result.stderr
    assert "guest:guest" not in result.stderr


def test_run_exits_3_naming_the_store_when_it_is_unreachable(env: dict[str, str]) -> None:
    result = dvcgw("run", env={**env, "DVCGW_STORE_URL": "postgresql://gw:secret@127.0.0.1:1/gateway"})
    assert result.returncode == 3
    assert "127.0.0.1" in result.stderr
    assert "secret" not in result.stderr


def test_topology_prints_every_queue_and_declare_creates_them(
    env: dict[str, str], broker: BrokerConfig
) -> None:
    printed = dvcgw("topology", env=env)
    assert printed.returncode == 0
    for name in (f"{broker.prefix}.sync", f"{broker.prefix}.dead", f"{broker.prefix}.retry.10s"):
        assert name in printed.stdout
    declared = dvcgw("topology", "--declare", env=env)
    assert declared.returncode == 0, declared.stderr
    assert queue_depth(broker, f"{broker.prefix}.dead") == 0
