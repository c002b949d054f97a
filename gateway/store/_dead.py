"""Dead letters: the statements behind reading dead messages and handing them back, for ``Store``.

Reading: ``dead_letters`` selects DEAD messages by the operator's selectors, newest death first.
Replaying: ``replay`` puts DEAD messages back in the outbox with a fresh attempt budget (the same
statement as ``Store.requeue``), or, for a message re-translated with today's mapping into a
different packet, ingests the new packet as a message of its own (same dossier, same revision, a
larger ledger id, so it becomes the dossier's latest) and supersedes the dead one; either way it
writes a ``replays`` row. The dead rows are locked first (PostgreSQL: ``FOR UPDATE``; SQLite: the
write lock), so two operators replaying the same message at once hand it over once. Everything
runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from gateway.store import _ingest, _outbox
from gateway.store._statements import among, chunks
from gateway.store.model import DeadLetterRow, DeadQuery, MessageState, NewReplay, Replayed
from gateway.store.schema import messages, replays

DEAD = MessageState.DEAD.value

_LISTED = (
    messages.c.id,
    messages.c.ma_ho_so,
    messages.c.revision,
    messages.c.source,
    messages.c.last_error_class.label("error_class"),
    messages.c.last_error.label("reason"),
    messages.c.attempts,
    # A DEAD message always has dead_at; coalesce so an odd row still sorts and shows a time.
    func.coalesce(messages.c.dead_at, messages.c.updated_at).label("dead_at"),
    messages.c.received_at,
    messages.c.source_file,
    messages.c.record_index,
    messages.c.mapping,
)


def dead_letters(connection: Connection, query: DeadQuery) -> list[DeadLetterRow]:
    """The DEAD messages ``query`` selects, newest death first (ties: the larger id first)."""
    died = func.coalesce(messages.c.dead_at, messages.c.updated_at)
    statement = select(*_LISTED).where(messages.c.state == DEAD)
    if query.ids:
        statement = statement.where(among(connection, messages.c.id, sorted(set(query.ids))))
    if query.ma_ho_so is not None:
        statement = statement.where(messages.c.ma_ho_so == query.ma_ho_so)
    if query.source is not None:
        statement = statement.where(messages.c.source == query.source)
    if query.error_class is not None:
        statement = statement.where(func.lower(messages.c.last_error_class) == query.error_class.lower())
    if query.since is not None:
        statement = statement.where(died >= query.since)
    if query.until is not None:
        statement = statement.where(died < query.until)
    statement = statement.order_by(died.desc(), messages.c.id.desc())
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return [DeadLetterRow(**row._mapping) for row in connection.execute(statement)]


def states(connection: Connection, ids: Sequence[int], *, lock: bool = False) -> dict[int, MessageState]:
    """The state of each message of ``ids`` that exists; ``lock``: hold the rows until commit."""
    found: dict[int, MessageState] = {}
    for chunk in chunks(sorted(set(ids))):
        statement = select(messages.c.id, messages.c.state).where(among(connection, messages.c.id, chunk))
        if lock:  # in id order, as every other writer of these rows (see lock_messages)
            statement = statement.order_by(messages.c.id).with_for_update()
        found.update((row.id, MessageState(row.state)) for row in connection.execute(statement))
    return found


def replay(connection: Connection, items: Sequence[NewReplay], now: datetime) -> list[Replayed]:
    """Hand DEAD messages back to the outbox; one ``Replayed`` per item, in order."""
    found = states(connection, [item.message_id for item in items], lock=True)
    # One replay per message however often it is listed.
    unique: dict[int, NewReplay] = {}
    for item in items:
        unique.setdefault(item.message_id, item)
    dead = [item for item in unique.values() if found.get(item.message_id) is MessageState.DEAD]
    sent: dict[int, int] = {}
    for item in dead:
        if item.replacement is None:
            sent[item.message_id] = item.message_id
    replaced = [item for item in dead if item.replacement is not None]
    if replaced:
        new = [item.replacement for item in replaced if item.replacement is not None]
        stored = _ingest.ingest(connection, None, new, [], "replay", now)
        for item, ingested in zip(replaced, stored, strict=True):
            sent[item.message_id] = ingested.message_id
    # What goes back to the outbox: the dead messages themselves, and a replacement's equal that
    # was stored before and is dead too (a replacement stored now is PENDING already).
    targets = set(sent.values())
    again = states(connection, sorted(targets - set(found)), lock=True)
    requeue = sorted(i for i in targets if (found.get(i) or again.get(i)) is MessageState.DEAD)
    _outbox.requeue(connection, requeue, True, now)
    superseded = sorted(m for m, target in sent.items() if target != m)
    for chunk in chunks(superseded):
        connection.execute(
            update(messages)
            .where(among(connection, messages.c.id, chunk), messages.c.state == DEAD)
            .values(state=MessageState.SUPERSEDED.value, updated_at=now)
        )
    rows = [
        {
            "message_id": item.message_id,
            "replayed_at": now,
            "operator": item.operator,
            "selection": item.selection,
            "remap": item.remap,
            "replacement_id": sent[item.message_id] if sent[item.message_id] != item.message_id else None,
        }
        for item in dead
    ]
    if rows:
        connection.execute(insert(replays), rows)
    return [
        Replayed(item.message_id, sent.get(item.message_id), found.get(item.message_id)) for item in items
    ]
