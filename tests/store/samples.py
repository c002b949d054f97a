"""Values for the store's tests: messages, files and rejections as the intake would build them."""

from __future__ import annotations

from gateway.store import MessageState, NewFile, NewMessage, NewRejection, Store

CODE = "000.00.00.H01-210605-0001"


def new_message(
    ma_ho_so: str = CODE,
    revision: str = "20210605100000",
    content_hash: str | None = None,
    *,
    status: str = "1",
    record_index: int = 0,
) -> NewMessage:
    """A message as the intake would build it; its content hash follows the revision unless given."""
    return NewMessage(
        ma_ho_so=ma_ho_so,
        revision=revision,
        content_hash=content_hash or f"hash-{ma_ho_so}-{revision}",
        status=status,
        source="igate-json",
        mapping="igate-json",
        mapping_hash="0" * 64,
        packet=b'{"MaHoSo": "%s"}' % ma_ho_so.encode(),
        source_file="export.json",
        record_index=record_index,
        record_line=record_index + 1,
        raw=b'{"ma": "%s", "rev": "%s"}' % (ma_ho_so.encode(), revision.encode()),
    )


def new_file(name: str = "export.json") -> NewFile:
    return NewFile(
        source="igate-json", name=name, archived_path=f"var/archive/{name}", sha256="ab" * 32, size=1234
    )


def new_rejection(record_index: int = 7) -> NewRejection:
    return NewRejection(
        source="igate-json",
        file="export.json",
        record_index=record_index,
        record_line=record_index + 1,
        ma_ho_so=None,
        reasons=("NgayTiepNhan: 31/02/2021 is not a date", "MaTTHC: missing"),
        raw=b'{"broken": true}',
    )


def ingest_one(store: Store, message: NewMessage) -> int:
    """Ingest one message on its own; its ledger id."""
    return store.ingest(None, [message], [])[0].message_id


def state_of(store: Store, message_id: int) -> MessageState:
    """The state of a message that must exist."""
    row = store.message(message_id)
    assert row is not None, f"message {message_id} is not in the store"
    return row.state
