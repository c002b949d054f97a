"""Delivery: the statements behind ``Store.begin_delivery`` and ``Store.finish_delivery``.

"Latest wins" across worker processes and hosts rests on one conditional UPDATE of ``dossiers``
per batch: a message takes its dossier's lease only if it is the dossier's latest message and the
lease is free or expired. The database serialises that UPDATE (SQLite: the write lock; PostgreSQL:
the row lock, with the WHERE re-checked after the wait), so of two workers racing for a dossier
exactly one gets SEND. The lease is not re-entrant: a second delivery of the message being sent
(a broker redelivery to another worker) is deferred, not sent twice at once.

Acknowledgements move ``dossiers.acked_*`` only to a larger (revision, message id), so a late
acknowledgement of an older revision never moves it back. Everything runs inside the caller's
transaction; acknowledgements (the common case) are set-based statements over id lists, the rarer
failures one executemany each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import structlog
from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    Update,
    and_,
    bindparam,
    case,
    insert,
    or_,
    select,
    update,
)

from gateway.store._statements import OPEN, among, chunks, listed, lock_dossiers, lock_messages
from gateway.store.model import (
    FINAL_STATES,
    Decision,
    DeliveryDecision,
    DeliveryOutcome,
    MessageState,
    Result,
)
from gateway.store.schema import UtcDateTime, attempts, dossiers, messages

log = structlog.get_logger(__name__)

# The acknowledged messages, beside the dossiers they move forward (``UPDATE dossiers ... FROM``).
_SENT = messages.alias("sent")


@dataclass(frozen=True)
class _Entry:
    """What deciding and recording deliveries needs to know of a message."""

    id: int
    ma_ho_so: str
    revision: str
    content_hash: str
    status: str
    state: MessageState
    attempts: int


_ENTRY_COLUMNS = [messages.c[field.name] for field in fields(_Entry)]


def begin(
    connection: Connection, message_ids: Sequence[int], lease_s: float, now: datetime
) -> list[DeliveryDecision]:
    """One decision per id, in order (see ``Store.begin_delivery``)."""
    wanted = list(dict.fromkeys(message_ids))
    lock_messages(connection, wanted)
    found = _entries(connection, wanted)
    open_ids = [i for i in wanted if i in found and found[i].state not in FINAL_STATES]
    taken: dict[int, bool] = {}  # message id -> portal_known of its dossier
    lock_dossiers(connection, sorted({found[i].ma_ho_so for i in open_ids}))
    lease = _lease_statement(connection.dialect.name)
    until = now + timedelta(seconds=lease_s)
    for chunk in chunks(open_ids):
        codes = sorted({found[i].ma_ho_so for i in chunk})
        rows = connection.execute(lease, {"codes": codes, "ids": list(chunk), "now": now, "until": until})
        taken.update((latest, bool(known)) for latest, known in rows.all())
    refused = [i for i in open_ids if i not in taken]
    latest = _latest_of(connection, sorted({found[i].ma_ho_so for i in refused}))
    superseded = {i for i in refused if latest.get(found[i].ma_ho_so) != i}
    set_state(connection, sorted(superseded), MessageState.SUPERSEDED, now)
    # Touch what is being sent, so that sweep_stuck does not take it for lost.
    touch = _touch_statement(connection.dialect.name)
    for chunk in chunks(sorted(taken)):
        connection.execute(touch, {"ids": list(chunk), "now": now})

    decisions = []
    decided: set[int] = set()
    for message_id in message_ids:
        entry = found.get(message_id)
        if entry is None:
            decision = Decision.UNKNOWN
        elif message_id in decided or entry.state in FINAL_STATES:
            decision = Decision.DONE
        elif message_id in taken:
            decision = Decision.SEND
        elif message_id in superseded:
            decision = Decision.SUPERSEDED
        else:
            decision = Decision.DEFER
        decided.add(message_id)
        update_ = decision is Decision.SEND and taken[message_id]
        decisions.append(DeliveryDecision(message_id, decision, update_, entry.attempts if entry else 0))
    return decisions


def finish(connection: Connection, outcomes: Sequence[DeliveryOutcome], now: datetime) -> None:
    """Record how deliveries ended (see ``Store.finish_delivery``)."""
    ids = list(dict.fromkeys(o.message_id for o in outcomes))
    lock_messages(connection, ids)
    found = _entries(connection, ids)
    lock_dossiers(connection, sorted({entry.ma_ho_so for entry in found.values()}))
    unknown = sorted({o.message_id for o in outcomes if o.message_id not in found})
    if unknown:
        log.warning("store.finish_unknown_messages", message_ids=unknown)
    # In id order, as every other writer of these rows: two transactions that lock rows in opposite
    # orders deadlock on PostgreSQL (a worker's acks against the relay's mark-queued).
    known = sorted((o for o in outcomes if o.message_id in found), key=lambda o: o.message_id)
    tried = [o for o in known if o.result is not Result.DEFERRED]
    _insert_attempts(connection, tried, now)
    _record_acked(connection, [o for o in known if o.result is Result.ACKED], found, now)
    _record_failed(connection, [o for o in known if o.result is Result.RETRY], MessageState.RETRYING, now)
    _record_failed(connection, [o for o in known if o.result is Result.DEAD], MessageState.DEAD, now)
    deferred = sorted({o.message_id for o in known if o.result is Result.DEFERRED})
    set_state(connection, deferred, MessageState.RETRYING, now)
    _release_leases(connection, sorted({o.message_id for o in tried}), found)


def set_state(connection: Connection, ids: Sequence[int], state: MessageState, now: datetime) -> None:
    """Move open messages (PENDING, QUEUED, RETRYING) to ``state``; final ones keep theirs."""
    for chunk in chunks(ids):
        connection.execute(
            update(messages)
            .where(among(connection, messages.c.id, chunk), messages.c.state.in_(OPEN))
            .values(state=state.value, updated_at=now)
        )


def _entries(connection: Connection, ids: Sequence[int]) -> dict[int, _Entry]:
    found: dict[int, _Entry] = {}
    statement = _entries_statement(connection.dialect.name)
    for chunk in chunks(ids):
        rows = connection.execute(statement, {"ids": list(chunk)}).all()
        for id_, ma_ho_so, revision, content_hash, status, state, attempts_ in rows:
            found[id_] = _Entry(id_, ma_ho_so, revision, content_hash, status, MessageState(state), attempts_)
    return found


def _latest_of(connection: Connection, codes: Sequence[str]) -> dict[str, int]:
    latest: dict[str, int] = {}
    for chunk in chunks(codes):
        statement = select(dossiers.c.ma_ho_so, dossiers.c.latest_message_id).where(
            among(connection, dossiers.c.ma_ho_so, chunk)
        )
        latest.update((row.ma_ho_so, row.latest_message_id) for row in connection.execute(statement))
    return latest


def _insert_attempts(connection: Connection, tried: Sequence[DeliveryOutcome], now: datetime) -> None:
    if not tried:
        return
    rows = [
        {
            "message_id": o.message_id,
            "attempt": o.attempt,
            "at": now,
            "duration_ms": o.duration_ms,
            "operation": o.operation,
            "outcome": o.result.value,
            "error_class": o.error_class,
            "error": o.error,
            "worker": o.worker,
        }
        for o in tried
    ]
    connection.execute(insert(attempts), rows)


def _attempts_at_least() -> ColumnElement[int]:
    # The count never goes down: a late report of an earlier attempt keeps the larger number.
    given = bindparam("b_attempt", type_=Integer)
    return case((messages.c.attempts > given, messages.c.attempts), else_=given)


def _record_acked(
    connection: Connection, acked: Sequence[DeliveryOutcome], found: dict[int, _Entry], now: datetime
) -> None:
    if not acked:
        return
    # Set-based: one UPDATE per distinct attempt number (nearly always one), not one per message.
    by_attempt: dict[int, list[int]] = {}
    for outcome in acked:
        by_attempt.setdefault(outcome.attempt, []).append(outcome.message_id)
    acked_statement = _acked_statement(connection.dialect.name)
    for attempt, ids in sorted(by_attempt.items()):
        for chunk in chunks(sorted(ids)):
            connection.execute(acked_statement, {"ids": list(chunk), "attempt": attempt, "now": now})
    # Each dossier moves forward to its largest acknowledged (revision, id) of this call, in one
    # UPDATE ... FROM messages; a dossier already at a larger pair keeps it.
    newest: dict[str, _Entry] = {}
    for outcome in acked:
        entry = found[outcome.message_id]
        kept = newest.get(entry.ma_ho_so)
        if kept is None or (kept.revision, kept.id) < (entry.revision, entry.id):
            newest[entry.ma_ho_so] = entry
    forward = _forward_statement(connection.dialect.name)
    for chunk in chunks(sorted(entry.id for entry in newest.values())):
        connection.execute(forward, {"ids": list(chunk), "now": now})
    known = _portal_known_statement(connection.dialect.name)
    for codes in chunks(sorted(newest)):
        connection.execute(known, {"codes": list(codes), "now": now})


def _record_failed(
    connection: Connection, failed: Sequence[DeliveryOutcome], state: MessageState, now: datetime
) -> None:
    if not failed:
        return
    values: dict[str, Any] = {
        "state": state.value,
        "attempts": _attempts_at_least(),
        "last_error_class": bindparam("b_error_class"),
        "last_error": bindparam("b_error"),
        "updated_at": now,
    }
    if state is MessageState.DEAD:
        values["dead_at"] = now
    rows = [
        {"b_id": o.message_id, "b_attempt": o.attempt, "b_error_class": o.error_class, "b_error": o.error}
        for o in failed
    ]
    # Spelled as ORs: an IN list is an "expanding" parameter, which executemany does not allow.
    still_open = or_(*(messages.c.state == state for state in OPEN))
    statement = update(messages).where(messages.c.id == bindparam("b_id"), still_open)
    connection.execute(statement.values(values), rows)


def _release_leases(connection: Connection, ids: Sequence[int], found: dict[int, _Entry]) -> None:
    release = _release_statement(connection.dialect.name)
    for chunk in chunks(ids):
        connection.execute(release, {"codes": sorted({found[i].ma_ho_so for i in chunk}), "ids": list(chunk)})


# The statements of every delivery, built once per dialect: building a statement (and its cache key)
# costs more than SQLite takes to run it. Lists go in as parameters (see ``listed``).
_NOW = bindparam("now", type_=UtcDateTime())


@cache
def _entries_statement(dialect: str) -> Select[tuple[Any, ...]]:
    return select(*_ENTRY_COLUMNS).where(listed(dialect, messages.c.id, "ids"))


@cache
def _lease_statement(dialect: str) -> Update:
    return (
        update(dossiers)
        .where(
            listed(dialect, dossiers.c.ma_ho_so, "codes"),
            # a message id belongs to one dossier: this reads "the message is its dossier's latest"
            listed(dialect, dossiers.c.latest_message_id, "ids"),
            or_(dossiers.c.lease_message_id.is_(None), dossiers.c.lease_until < _NOW),
        )
        .values(
            lease_message_id=dossiers.c.latest_message_id,
            lease_until=bindparam("until", type_=UtcDateTime()),
            updated_at=_NOW,
        )
        .returning(dossiers.c.latest_message_id, dossiers.c.portal_known)
    )


@cache
def _touch_statement(dialect: str) -> Update:
    return update(messages).where(listed(dialect, messages.c.id, "ids")).values(updated_at=_NOW)


@cache
def _acked_statement(dialect: str) -> Update:
    # The count never goes down: a late report of an earlier attempt keeps the larger number.
    attempt = bindparam("attempt", type_=Integer)
    return (
        update(messages)
        .where(listed(dialect, messages.c.id, "ids"), messages.c.state != MessageState.ACKED.value)
        .values(
            state=MessageState.ACKED.value,
            acked_at=_NOW,
            updated_at=_NOW,
            attempts=case((messages.c.attempts > attempt, messages.c.attempts), else_=attempt),
            publish_lease_until=None,
        )
    )


@cache
def _forward_statement(dialect: str) -> Update:
    return (
        update(dossiers)
        .where(
            listed(dialect, _SENT.c.id, "ids"),
            _SENT.c.ma_ho_so == dossiers.c.ma_ho_so,
            or_(
                dossiers.c.acked_revision.is_(None),
                dossiers.c.acked_revision < _SENT.c.revision,
                and_(
                    dossiers.c.acked_revision == _SENT.c.revision,
                    dossiers.c.acked_message_id < _SENT.c.id,
                ),
            ),
        )
        .values(
            acked_message_id=_SENT.c.id,
            acked_revision=_SENT.c.revision,
            acked_content_hash=_SENT.c.content_hash,
            acked_at=_NOW,
            status=_SENT.c.status,
            updated_at=_NOW,
        )
    )


@cache
def _portal_known_statement(dialect: str) -> Update:
    return (
        update(dossiers)
        .where(listed(dialect, dossiers.c.ma_ho_so, "codes"), dossiers.c.portal_known.is_(False))
        .values(portal_known=True, updated_at=_NOW)
    )


@cache
def _release_statement(dialect: str) -> Update:
    return (
        update(dossiers)
        .where(
            listed(dialect, dossiers.c.ma_ho_so, "codes"),
            listed(dialect, dossiers.c.lease_message_id, "ids"),
        )
        .values(lease_message_id=None, lease_until=None)
    )
