"""Alembic's environment for the message store: run online, on the connection ``Store.open`` passes.

``gateway.store.migrate.upgrade`` puts an open connection, already inside its transaction (and, on
PostgreSQL, holding the migration lock), in ``config.attributes["connection"]``; the upgrade joins
that transaction, so the whole upgrade commits or rolls back as one.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from gateway.store.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("the store's migrations run through gateway.store.migrate, which passes a connection")

context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
