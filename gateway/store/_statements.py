"""Building blocks shared by the store's statements: batched id lists and the two dialects' spellings.

For the statement modules of this package (``_ingest``, ``_outbox``, ``_delivery``) only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, Connection, Table, any_, bindparam, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from gateway.store.model import OPEN_STATES
from gateway.store.schema import dossiers, messages

T = TypeVar("T")
# Ids or codes per list: far below SQLite's 32,766 and psycopg's 65,535 parameters per statement.
CHUNK = 1000
# PENDING, QUEUED, RETRYING as stored.
OPEN = sorted(state.value for state in OPEN_STATES)


def utc_now() -> datetime:
    """Now, aware UTC: every time the store writes."""
    return datetime.now(UTC)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def among(connection: Connection, column: ColumnElement[T], values: Sequence[T]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(array)``: one parameter however long the
    batch, so the statement text stays small and psycopg need not parse hundreds of placeholders."""
    if connection.dialect.name == "postgresql":
        return column == any_(literal(list(values), postgresql.ARRAY(column.type)))
    # One expanding parameter built from the list as it is: ``in_(values)`` would coerce every
    # element into a bound literal of its own, which costs more than the statement's execution.
    return column.in_(bindparam(None, list(values), expanding=True, type_=column.type))


def listed(dialect: str, column: ColumnElement[T], name: str) -> ColumnElement[bool]:
    """``column IN :name`` for a statement built once per dialect (see ``among``); execute it with
    the list under ``name`` (a list, not a tuple, for PostgreSQL's array)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def lock_messages(connection: Connection, ids: Sequence[int]) -> None:
    """On PostgreSQL, lock these message rows in id order.

    The store's writers take row locks in one order: message rows by id, then dossier rows by code
    (``lock_dossiers``). A set-based UPDATE locks rows in whatever order it scans them, so each
    writer locks first, in that order; otherwise two transactions deadlock (PostgreSQL aborts one).
    SQLite has one writer at a time and needs nothing.
    """
    if connection.dialect.name == "postgresql" and ids:
        connection.execute(
            select(messages.c.id)
            .where(among(connection, messages.c.id, sorted(ids)))
            .order_by(messages.c.id)
            .with_for_update()
        )


def lock_dossiers(connection: Connection, codes: Sequence[str]) -> None:
    """On PostgreSQL, lock these dossier rows in code order (after any message rows; see
    ``lock_messages``)."""
    if connection.dialect.name == "postgresql" and codes:
        connection.execute(
            select(dossiers.c.ma_ho_so)
            .where(among(connection, dossiers.c.ma_ho_so, sorted(codes)))
            .order_by(dossiers.c.ma_ho_so)
            .with_for_update()
        )


def upsert(connection: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ``ON CONFLICT``: both dialects have it, each under its own name."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
