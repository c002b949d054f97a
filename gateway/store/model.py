"""The store's vocabulary: what callers hand to the store and what they get back.

Written for the stages around the store: the intake builds ``NewFile``/``NewMessage``/
``NewRejection`` and reads ``Ingested``; the outbox relay reads ``OutboxItem``; a sync worker asks
for ``DeliveryDecision``s and reports ``DeliveryOutcome``s; tests, the demo, the benchmarks and the
CLI read the ``*Row`` snapshots. Every object is a frozen value; timestamps are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class MessageState(StrEnum):
    """Where one message (one packet, one revision of a dossier) is in its life."""

    PENDING = "pending"  # stored, not yet confirmed by the broker (the outbox)
    QUEUED = "queued"  # the broker confirmed the publish
    RETRYING = "retrying"  # waiting in a retry tier
    ACKED = "acked"  # the portal acknowledged it
    SUPERSEDED = "superseded"  # a newer revision of the dossier exists; never sent
    DEAD = "dead"  # given up; the reason is kept


# States after which nothing is sent any more: a later delivery of the message is a duplicate.
FINAL_STATES = frozenset({MessageState.ACKED, MessageState.SUPERSEDED, MessageState.DEAD})
# States counted as work still to do.
OPEN_STATES = frozenset({MessageState.PENDING, MessageState.QUEUED, MessageState.RETRYING})


@dataclass(frozen=True)
class NewFile:
    """An intake file as archived: where it came from and where its bytes now lie."""

    source: str
    name: str
    archived_path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class NewMessage:
    """One translated packet of one dossier revision, with the source record it came from."""

    ma_ho_so: str
    revision: str
    content_hash: str
    status: str
    source: str
    mapping: str
    mapping_hash: str
    packet: bytes
    source_file: str
    record_index: int
    record_line: int | None
    raw: bytes


@dataclass(frozen=True)
class NewRejection:
    """A source record refused at intake, with every reason and its original bytes."""

    source: str
    file: str
    record_index: int | None
    record_line: int | None
    ma_ho_so: str | None
    reasons: tuple[str, ...]
    raw: bytes


@dataclass(frozen=True)
class Ingested:
    """The ledger id given to one ``NewMessage``; ``duplicate`` when that content was stored before."""

    message_id: int
    duplicate: bool


@dataclass(frozen=True)
class OutboxItem:
    """A stored message the relay must publish (``message_id`` is the broker message id)."""

    message_id: int
    ma_ho_so: str
    revision: str
    content_hash: str
    source: str
    attempts: int
    packet: bytes


class Decision(StrEnum):
    """What a sync worker must do with one delivered message."""

    SEND = "send"  # send it to the portal: it is the dossier's latest and this worker holds the lease
    DONE = "done"  # already acknowledged, superseded or dead: a duplicate delivery, drop it
    SUPERSEDED = "superseded"  # a newer revision of the dossier exists: drop it
    DEFER = "defer"  # another worker is sending this dossier right now: try again later
    UNKNOWN = "unknown"  # no such message in the ledger


@dataclass(frozen=True)
class DeliveryDecision:
    """The decision for one message; ``update``: the portal already holds the dossier."""

    message_id: int
    decision: Decision
    update: bool
    attempts: int


class Result(StrEnum):
    """How one delivery ended."""

    ACKED = "acked"
    RETRY = "retry"
    DEAD = "dead"
    DEFERRED = "deferred"


@dataclass(frozen=True)
class DeliveryOutcome:
    """What a worker reports after a delivery; ``attempt`` is the number of that portal attempt."""

    message_id: int
    result: Result
    attempt: int
    operation: str | None = None
    error_class: str | None = None
    error: str | None = None
    duration_ms: float | None = None
    worker: str | None = None


@dataclass(frozen=True)
class IntakeFileRow:
    """One row of ``intake_files``: an archived file and what came of its records."""

    id: int
    source: str
    name: str
    archived_path: str
    sha256: str
    size: int
    received_at: datetime
    records: int
    packets: int
    rejected: int
    duplicates: int
    outcome: str


@dataclass(frozen=True)
class MessageRow:
    """One row of ``messages``: a packet, its provenance and its delivery state."""

    id: int
    ma_ho_so: str
    revision: str
    content_hash: str
    status: str
    source: str
    mapping: str
    mapping_hash: str
    packet: bytes
    file_id: int | None
    source_file: str
    record_index: int
    record_line: int | None
    raw: bytes
    state: MessageState
    attempts: int
    last_error_class: str | None
    last_error: str | None
    received_at: datetime
    queued_at: datetime | None
    acked_at: datetime | None
    dead_at: datetime | None
    updated_at: datetime
    publish_lease_until: datetime | None


@dataclass(frozen=True)
class DossierRow:
    """One row of ``dossiers``: the latest received and the latest acknowledged revision of a dossier."""

    ma_ho_so: str
    source: str
    latest_message_id: int
    latest_revision: str
    acked_message_id: int | None
    acked_revision: str | None
    acked_content_hash: str | None
    acked_at: datetime | None
    portal_known: bool
    status: str | None
    lease_message_id: int | None
    lease_until: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class AttemptRow:
    """One portal attempt of one message."""

    id: int
    message_id: int
    attempt: int
    at: datetime
    duration_ms: float | None
    operation: str | None
    outcome: Result
    error_class: str | None
    error: str | None
    worker: str | None


@dataclass(frozen=True)
class RejectionRow:
    """One source record refused at intake."""

    id: int
    source: str
    file_id: int | None
    file: str
    record_index: int | None
    record_line: int | None
    ma_ho_so: str | None
    reasons: tuple[str, ...]
    raw: bytes
    received_at: datetime


# -- dead letters and replay ----------------------------------------------------------------------


@dataclass(frozen=True)
class DeadQuery:
    """Which dead messages to read: every given selector must match (none given: every dead message).

    ``ids`` keeps only those ledger ids; ``error_class`` matches without regard to case; ``since`` and
    ``until`` bound the time the message died (``since`` included, ``until`` excluded); ``limit``
    keeps the newest ``limit``.
    """

    ids: tuple[int, ...] = ()
    ma_ho_so: str | None = None
    source: str | None = None
    error_class: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None


@dataclass(frozen=True)
class DeadLetterRow:
    """One dead message as a listing shows it: without its packet and original bytes."""

    id: int
    ma_ho_so: str
    revision: str
    source: str
    error_class: str | None
    reason: str | None
    attempts: int
    dead_at: datetime
    received_at: datetime
    source_file: str
    record_index: int
    mapping: str


@dataclass(frozen=True)
class NewReplay:
    """One dead message handed back to the pipeline by an operator, and what to record of it.

    ``replacement``: the message re-translated with today's mapping (``--remap``), sent in its
    place when its content differs; the dead message is then superseded by it.
    """

    message_id: int
    operator: str
    selection: str
    remap: bool
    replacement: NewMessage | None = None


@dataclass(frozen=True)
class Replayed:
    """What a replay did with one message: ``sent_id`` is the message now in the outbox (the message
    itself, or its replacement), None when it was no longer dead (``found``: its state then; None:
    no such message) and nothing was done."""

    message_id: int
    sent_id: int | None
    found: MessageState | None


@dataclass(frozen=True)
class ReplayRow:
    """One row of ``replays``: who handed which dead message back, when, chosen how."""

    id: int
    message_id: int
    replayed_at: datetime
    operator: str
    selection: str
    remap: bool
    replacement_id: int | None
