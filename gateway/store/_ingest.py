"""Ingest: the statements that store one source file, its packets and its rejections, for ``Store.ingest``.

Everything runs inside the caller's transaction. Deduplication is by (ma_ho_so, revision,
content_hash): looked up first, and enforced by the unique constraint (``ON CONFLICT DO NOTHING``)
for the case where another PostgreSQL transaction stores the same content at the same moment.
Each dossier's ``latest_*`` moves by one upsert per dossier whose ``WHERE`` lets it move only to a
larger (revision, message id), so concurrent ingests agree whatever order they commit in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, and_, insert, or_, select, update

from gateway.store._statements import among, chunks, upsert
from gateway.store.model import Ingested, MessageState, NewFile, NewMessage, NewRejection
from gateway.store.schema import dossiers, intake_files, messages, rejected_inputs

Key = tuple[str, str, str]  # (ma_ho_so, revision, content_hash): what makes two messages the same


def ingest(
    connection: Connection,
    file: NewFile | None,
    batch: Sequence[NewMessage],
    rejections: Sequence[NewRejection],
    outcome: str,
    now: datetime,
) -> list[Ingested]:
    """Store one file's worth; one ``Ingested`` per message of ``batch``, in order."""
    first: dict[Key, int] = {}
    for index, message in enumerate(batch):
        first.setdefault(_key(message), index)
    known = _message_ids(connection, list(first))
    file_id = None
    if file is not None:
        duplicates = len(batch) - len(first) + len(known)
        file_id = _insert_file(connection, file, outcome, now, len(batch), len(rejections), duplicates)
    fresh = [batch[index] for key, index in first.items() if key not in known]
    created = _insert_messages(connection, fresh, file_id, now)
    raced = [_key(m) for m in fresh if _key(m) not in created]
    if raced:
        # Another PostgreSQL transaction stored the same content meanwhile: a duplicate too.
        known.update(_message_ids(connection, raced))
        if file_id is not None:
            connection.execute(
                update(intake_files)
                .where(intake_files.c.id == file_id)
                .values(duplicates=intake_files.c.duplicates + len(raced))
            )
    _advance_latest(connection, fresh, created, now)
    _insert_rejections(connection, rejections, file_id, now)
    result = []
    for index, message in enumerate(batch):
        key = _key(message)
        if key in created:
            result.append(Ingested(created[key], duplicate=first[key] != index))
        else:
            result.append(Ingested(known[key], duplicate=True))
    return result


def _key(message: NewMessage) -> Key:
    return (message.ma_ho_so, message.revision, message.content_hash)


def _message_ids(connection: Connection, keys: Sequence[Key]) -> dict[Key, int]:
    wanted = set(keys)
    codes = sorted({key[0] for key in keys})
    found: dict[Key, int] = {}
    columns = (messages.c.id, messages.c.ma_ho_so, messages.c.revision, messages.c.content_hash)
    for chunk in chunks(codes):
        for row in connection.execute(select(*columns).where(among(connection, messages.c.ma_ho_so, chunk))):
            key = (row.ma_ho_so, row.revision, row.content_hash)
            if key in wanted:
                found[key] = row.id
    return found


def _insert_file(
    connection: Connection,
    file: NewFile,
    outcome: str,
    now: datetime,
    packets: int,
    rejected: int,
    duplicates: int,
) -> int:
    values = {
        "source": file.source,
        "name": file.name,
        "archived_path": file.archived_path,
        "sha256": file.sha256,
        "size": file.size,
        "received_at": now,
        "records": packets + rejected,
        "packets": packets,
        "rejected": rejected,
        "duplicates": duplicates,
        "outcome": outcome,
    }
    return int(connection.execute(insert(intake_files).returning(intake_files.c.id), values).scalar_one())


def _insert_messages(
    connection: Connection, fresh: Sequence[NewMessage], file_id: int | None, now: datetime
) -> dict[Key, int]:
    if not fresh:
        return {}
    rows = [
        {
            "ma_ho_so": m.ma_ho_so,
            "revision": m.revision,
            "content_hash": m.content_hash,
            "status": m.status,
            "source": m.source,
            "mapping": m.mapping,
            "mapping_hash": m.mapping_hash,
            "packet": m.packet,
            "file_id": file_id,
            "source_file": m.source_file,
            "record_index": m.record_index,
            "record_line": m.record_line,
            "raw": m.raw,
            "state": MessageState.PENDING.value,
            "attempts": 0,
            "received_at": now,
            "updated_at": now,
        }
        for m in fresh
    ]
    statement = (
        upsert(connection, messages)
        .on_conflict_do_nothing(index_elements=["ma_ho_so", "revision", "content_hash"])
        .returning(messages.c.id, messages.c.ma_ho_so, messages.c.revision, messages.c.content_hash)
    )
    # One multi-row INSERT ... RETURNING (SQLAlchemy's "insertmanyvalues"); a row the conflict
    # clause skipped is simply absent, so the rows are matched by key, not by position.
    return {
        (row.ma_ho_so, row.revision, row.content_hash): row.id for row in connection.execute(statement, rows)
    }


def _advance_latest(
    connection: Connection, fresh: Sequence[NewMessage], created: dict[Key, int], now: datetime
) -> None:
    best: dict[str, tuple[str, int, str]] = {}  # ma_ho_so -> (revision, id, source)
    for m in fresh:
        message_id = created.get(_key(m))
        if message_id is None:
            continue
        current = best.get(m.ma_ho_so)
        if current is None or (m.revision, message_id) > current[:2]:
            best[m.ma_ho_so] = (m.revision, message_id, m.source)
    if not best:
        return
    statement = upsert(connection, dossiers)
    newer = or_(
        statement.excluded.latest_revision > dossiers.c.latest_revision,
        and_(
            statement.excluded.latest_revision == dossiers.c.latest_revision,
            statement.excluded.latest_message_id > dossiers.c.latest_message_id,
        ),
    )
    statement = statement.on_conflict_do_update(
        index_elements=["ma_ho_so"],
        set_={
            "latest_message_id": statement.excluded.latest_message_id,
            "latest_revision": statement.excluded.latest_revision,
            "source": statement.excluded.source,
            "updated_at": statement.excluded.updated_at,
        },
        where=newer,
    )
    rows = [
        {
            "ma_ho_so": code,
            "source": source,
            "latest_message_id": message_id,
            "latest_revision": revision,
            "portal_known": False,
            "updated_at": now,
        }
        # In code order: the order in which every writer locks dossier rows (see lock_messages).
        for code, (revision, message_id, source) in sorted(best.items())
    ]
    connection.execute(statement, rows)


def _insert_rejections(
    connection: Connection, rejections: Sequence[NewRejection], file_id: int | None, now: datetime
) -> None:
    if not rejections:
        return
    rows = [
        {
            "source": r.source,
            "file_id": file_id,
            "file": r.file,
            "record_index": r.record_index,
            "record_line": r.record_line,
            "ma_ho_so": r.ma_ho_so,
            "reasons": json.dumps(list(r.reasons), ensure_ascii=False),
            "raw": r.raw,
            "received_at": now,
        }
        for r in rejections
    ]
    connection.execute(insert(rejected_inputs), rows)
