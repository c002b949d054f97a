"""The schema is created and upgraded by the package's Alembic migrations, run by ``Store.open``."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from gateway.store import Store
from gateway.store._engine import parse_url
from gateway.store.migrate import MIGRATIONS, alembic_config, current, head
from gateway.store.schema import metadata


def read_back(store_url: str, read: Callable[..., object]) -> object:
    engine = create_engine(parse_url(store_url))
    try:
        with engine.connect() as connection:
            return read(connection)
    finally:
        engine.dispose()


def test_open_creates_every_table_and_records_the_head_revision(store: Store, store_url: str) -> None:
    tables = read_back(store_url, lambda c: set(inspect(c).get_table_names()))
    assert tables == {
        "alembic_version",
        "intake_files",
        "messages",
        "dossiers",
        "attempts",
        "rejected_inputs",
        "replays",
        "reconcile_runs",
        "reconcile_findings",
        "reconcile_repairs",
    }
    assert read_back(store_url, current) == head() == "0004"


def test_opening_a_migrated_store_again_changes_nothing(store: Store, store_url: str) -> None:
    store.ingest(None, [], [])
    before = read_back(store_url, lambda c: (current(c), sorted(inspect(c).get_table_names())))
    Store.open(store_url).close()
    after = read_back(store_url, lambda c: (current(c), sorted(inspect(c).get_table_names())))
    assert after == before


def test_the_migrated_schema_matches_the_table_definitions(store: Store, store_url: str) -> None:
    differences = read_back(
        store_url,
        lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), metadata),
    )
    assert differences == []


def test_the_migrations_ship_inside_the_package_as_modules() -> None:
    assert importlib.util.find_spec("gateway.store.migrations") is not None
    assert importlib.util.find_spec("gateway.store.migrations.versions") is not None
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "versions" / "0001_initial.py").is_file()
    assert (MIGRATIONS / "versions" / "0002_replays.py").is_file()
    assert (MIGRATIONS / "versions" / "0003_reconcile.py").is_file()
    assert (MIGRATIONS / "versions" / "0004_outcome_times.py").is_file()


def test_a_store_at_0003_is_upgraded_with_indexes_on_the_outcome_times(store_url: str) -> None:
    url = parse_url(store_url)
    if url.get_backend_name() == "sqlite" and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0003")
    finally:
        engine.dispose()
    assert read_back(store_url, current) == "0003"

    Store.open(store_url).close()

    indexes = read_back(
        store_url, lambda c: {i["name"]: i["column_names"] for i in inspect(c).get_indexes("messages")}
    )
    assert read_back(store_url, current) == "0004"
    assert isinstance(indexes, dict)
    assert indexes["ix_messages_acked_at"] == ["acked_at"]
    assert indexes["ix_messages_dead_at"] == ["dead_at"]
