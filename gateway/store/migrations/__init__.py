"""Alembic migrations of the message store, run by ``Store.open`` (see ``gateway.store.migrate``)."""
