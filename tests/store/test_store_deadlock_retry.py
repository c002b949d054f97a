"""A write transaction PostgreSQL aborts as a deadlock runs again; other errors do not."""

from __future__ import annotations

import psycopg.errors
import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from gateway.errors import StoreError
from gateway.store import Store, _ingest
from gateway.store._statements import utc_now
from gateway.store.sql import DEADLOCK_ATTEMPTS
from tests.store.samples import new_message


def _aborted(error: Exception) -> DBAPIError:
    return DBAPIError("UPDATE dossiers ...", {}, error)


def test_a_deadlocked_transaction_runs_again_and_commits_once(store: Store) -> None:
    runs: list[int] = []

    def work(connection: Connection) -> int:
        runs.append(1)
        stored = len(_ingest.ingest(connection, None, [new_message()], [], "archived", utc_now()))
        if len(runs) == 1:
            raise _aborted(psycopg.errors.DeadlockDetected("deadlock detected"))
        return stored

    assert store._transaction("testing", work) == 1
    assert len(runs) == 2
    assert store.state_counts()["pending"] == 1  # the first run rolled back whole


def test_a_transaction_that_keeps_deadlocking_gives_up_with_the_error(store: Store) -> None:
    runs: list[int] = []

    def work(connection: Connection) -> None:
        runs.append(1)
        raise _aborted(psycopg.errors.SerializationFailure("could not serialize access"))

    with pytest.raises(StoreError, match="could not serialize access"):
        store._transaction("testing", work)
    assert len(runs) == DEADLOCK_ATTEMPTS


def test_other_database_errors_are_not_run_again(store: Store) -> None:
    runs: list[int] = []

    def work(connection: Connection) -> None:
        runs.append(1)
        raise _aborted(psycopg.errors.UniqueViolation("duplicate key"))

    with pytest.raises(StoreError, match="duplicate key"):
        store._transaction("testing", work)
    assert len(runs) == 1
