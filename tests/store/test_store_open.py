"""Opening a store: URLs it accepts, errors it raises, the SQLite settings, aware UTC timestamps."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from gateway.errors import StoreError, StoreUnavailable
from gateway.store import Store
from gateway.store._engine import parse_url
from tests.store.samples import ingest_one, new_file, new_message, new_rejection


def test_an_unreachable_postgresql_is_unavailable_and_the_message_hides_the_password() -> None:
    with pytest.raises(StoreUnavailable) as raised:
        Store.open("postgresql://gateway:s3cret@127.0.0.1:1/gateway")
    assert "127.0.0.1:1/gateway" in str(raised.value)
    assert "s3cret" not in str(raised.value)
    assert raised.value.__cause__ is not None


def test_a_sqlite_path_that_cannot_be_created_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    with pytest.raises(StoreUnavailable) as raised:
        Store.open(f"sqlite:///{blocker / 'gateway.sqlite3'}")
    assert "not-a-folder" in str(raised.value)


def test_a_sqlite_file_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    folder = tmp_path / "gateway.sqlite3"
    folder.mkdir()  # a folder where the database file should be
    with pytest.raises(StoreUnavailable):
        Store.open(f"sqlite:///{folder}")


@pytest.mark.parametrize("url", ["mysql://root@localhost/gw", "postgresql+psycopg2://root@localhost/gw"])
def test_a_url_of_another_database_is_refused(url: str) -> None:
    with pytest.raises(StoreError, match="not supported"):
        Store.open(url)


def test_an_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(StoreError, match="needs a file"):
        Store.open("sqlite:///:memory:")


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    assert parse_url("postgresql://root@127.0.0.1/test").drivername == "postgresql+psycopg"
    assert parse_url("sqlite:///var/gateway.sqlite3").drivername == "sqlite+pysqlite"


def test_sqlite_creates_the_folder_and_runs_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "var" / "deeper" / "gateway.sqlite3"
    Store.open(f"sqlite:///{path}").close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    engine.dispose()


def test_timestamps_read_back_are_aware_utc(store: Store) -> None:
    message_id = store.ingest(new_file(), [new_message()], [new_rejection()])[0].message_id
    row = store.message(message_id)
    assert row is not None
    dossier = store.dossier(row.ma_ho_so)
    assert dossier is not None
    assert row.file_id is not None
    file = store.intake_file(row.file_id)
    assert file is not None
    stamps = [
        row.received_at,
        row.updated_at,
        dossier.updated_at,
        file.received_at,
        store.rejections()[0].received_at,
    ]
    for stamp in stamps:
        assert stamp.tzinfo is not None
        assert stamp.utcoffset() == timedelta(0)
    assert stamps[0].tzinfo is UTC


def test_a_store_used_as_a_context_manager_closes(store_url: str) -> None:
    with Store.open(store_url) as store:
        ingest_one(store, new_message())
    with Store.open(store_url) as again:
        assert again.dossier_count() == 1
