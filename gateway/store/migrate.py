"""Bringing a store's schema to the newest revision, for ``Store.open`` (and the CLI, if it wants).

The migrations are Alembic's, kept in this package (``migrations/versions/NNNN_*.py``), found by
path next to this module, so an installed gateway carries them. ``upgrade`` runs them in one
transaction on a connection of ours, so two processes opening the same database at once cannot
both migrate: on SQLite the transaction begins with ``BEGIN IMMEDIATE`` and holds the write lock
throughout; on PostgreSQL it first takes a transaction-scoped advisory lock keyed by the schema,
and the second daemon waits, then finds the schema at head and does nothing. Within one process,
upgrades also take turns (Alembic keeps its migration context in module-wide proxies).

A schema change: edit ``schema.py``, then add ``migrations/versions/NNNN_<what>.py`` revising the
previous head (``alembic.command.revision(alembic_config(), "what", rev_id="NNNN")`` writes the
skeleton from ``script.py.mako``); ``tests/store`` proves the migrated schema equals ``schema.py``.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import URL, Connection, Engine, func, literal, select

from gateway.errors import StoreError
from gateway.store._engine import connected, shown, translated_errors

log = structlog.get_logger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK_NAME = "dvc-gateway store migration"
# Alembic's ``context`` and ``op`` are process-wide proxies: two upgrades running at once in one
# process (two threads opening stores) would run each other's steps on the wrong connection.
_ALEMBIC = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the store's migrations, with ``connection`` for ``env.py``."""
    config = Config(attributes={"connection": connection} if connection is not None else {})
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return config


@cache
def head() -> str:
    """The newest revision the package knows."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    """The revision a database is at (``None``: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, url: URL) -> None:
    """Migrate the database behind ``engine`` to head; a no-op when it is there already."""
    with (
        connected(engine, url) as connection,
        translated_errors(url, "migrating the schema"),
        connection.begin(),
    ):
        if connection.dialect.name == "postgresql":
            key = func.hashtext(literal(LOCK_NAME) + func.current_schema())
            connection.execute(select(func.pg_advisory_xact_lock(key)))
        before = after = current(connection)
        if before != head():
            try:
                with _ALEMBIC:
                    command.upgrade(alembic_config(connection), "head")
            except CommandError as exc:
                raise StoreError(f"cannot migrate the store {shown(url)}: {exc}") from exc
            after = current(connection)
    if before != after:
        log.info("store.migrated", url=shown(url), from_revision=before, to_revision=after)
