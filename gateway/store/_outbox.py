"""The outbox: statements the relay and the repair tools run on PENDING messages, for ``Store``.

The relay claims PENDING messages under a publish lease (``claim``), publishes them with broker
confirms, then marks them QUEUED (``mark_queued``) or gives the lease back (``release``). A relay
that dies leaves leases that expire, and the next claim takes those messages again: a message may
be published twice, never lost. ``sweep_stuck`` and ``requeue`` put messages back in the outbox.
Everything runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from gateway.store._statements import among, chunks, lock_messages
from gateway.store.model import MessageState, OutboxItem
from gateway.store.schema import messages

PENDING = MessageState.PENDING.value


def claim(connection: Connection, limit: int, lease_s: float, now: datetime) -> list[OutboxItem]:
    """Lease up to ``limit`` PENDING messages whose publish lease is free or expired, oldest first."""
    claimable = (
        select(messages.c.id)
        .where(
            messages.c.state == PENDING,
            or_(messages.c.publish_lease_until.is_(None), messages.c.publish_lease_until < now),
        )
        .order_by(messages.c.id)
        .limit(limit)
        # PostgreSQL: concurrent relays lock and take disjoint rows (SQLite: the write lock does it).
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(messages)
        .where(messages.c.id.in_(claimable))
        .values(publish_lease_until=now + timedelta(seconds=lease_s))
        .returning(
            messages.c.id,
            messages.c.ma_ho_so,
            messages.c.revision,
            messages.c.content_hash,
            messages.c.source,
            messages.c.attempts,
            messages.c.packet,
        )
    )
    rows = connection.execute(statement).all()
    return [
        OutboxItem(
            message_id=row.id,
            ma_ho_so=row.ma_ho_so,
            revision=row.revision,
            content_hash=row.content_hash,
            source=row.source,
            attempts=row.attempts,
            packet=bytes(row.packet),
        )
        for row in sorted(rows, key=lambda row: row.id)  # RETURNING has no order
    ]


def mark_queued(connection: Connection, ids: Sequence[int], now: datetime) -> None:
    """PENDING → QUEUED, lease cleared; messages no longer PENDING keep their state."""
    for chunk in chunks(sorted(ids)):
        lock_messages(connection, chunk)
        connection.execute(
            update(messages)
            .where(among(connection, messages.c.id, chunk), messages.c.state == PENDING)
            .values(state=MessageState.QUEUED.value, queued_at=now, updated_at=now, publish_lease_until=None)
        )


def release(connection: Connection, ids: Sequence[int]) -> None:
    """Clear the publish lease of PENDING messages."""
    for chunk in chunks(sorted(ids)):
        lock_messages(connection, chunk)
        connection.execute(
            update(messages)
            .where(among(connection, messages.c.id, chunk), messages.c.state == PENDING)
            .values(publish_lease_until=None)
        )


def requeue(connection: Connection, ids: Sequence[int], reset_attempts: bool, now: datetime) -> int:
    """QUEUED, RETRYING or DEAD → PENDING; how many moved."""
    values: dict[str, Any] = {
        "state": PENDING,
        "publish_lease_until": None,
        "dead_at": None,
        "updated_at": now,
    }
    if reset_attempts:
        values["attempts"] = 0
    movable = [MessageState.QUEUED.value, MessageState.RETRYING.value, MessageState.DEAD.value]
    moved = 0
    for chunk in chunks(sorted(ids)):
        lock_messages(connection, chunk)
        result = connection.execute(
            update(messages)
            .where(among(connection, messages.c.id, chunk), messages.c.state.in_(movable))
            .values(values)
        )
        moved += result.rowcount
    return moved


def sweep_stuck(connection: Connection, older_than_s: float, now: datetime) -> int:
    """QUEUED or RETRYING messages not updated for ``older_than_s`` seconds → PENDING; how many."""
    stuck = and_(
        messages.c.state.in_([MessageState.QUEUED.value, MessageState.RETRYING.value]),
        messages.c.updated_at < now - timedelta(seconds=older_than_s),
    )
    ids = list(connection.execute(select(messages.c.id).where(stuck)).scalars())
    moved = 0
    for chunk in chunks(sorted(ids)):
        lock_messages(connection, chunk)
        statement = (
            update(messages)
            .where(among(connection, messages.c.id, chunk), stuck)  # still stuck once locked
            .values(state=PENDING, publish_lease_until=None, updated_at=now)
        )
        moved += connection.execute(statement).rowcount
    return moved
