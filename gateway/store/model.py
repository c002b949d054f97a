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


# -- reconciliation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewReconcileRun:
    """A reconciliation run to start: its window of activity ``[since, until)`` and how it was chosen
    (``window_kind``: default, all, since or range), what it compares and who started it."""

    since: datetime | None
    until: datetime
    window_kind: str
    source: str | None
    repair: bool
    started_by: str
    operator: str


@dataclass(frozen=True)
class ReconcileRunRow:
    """One row of ``reconcile_runs``: a run, its progress and its lease."""

    id: int
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    since: datetime | None
    until: datetime
    window_kind: str
    source: str | None
    repair: bool
    started_by: str
    operator: str
    state: str
    phase: str
    listing_cursor: str | None
    after_code: str | None
    holder: str | None
    lease_until: datetime | None


@dataclass(frozen=True)
class RunClaim:
    """What asking to run a reconciliation gave: the run to carry on (``resumed``: one interrupted
    before), or None and ``refused`` saying why (another run holds the lease, not due yet...)."""

    run: ReconcileRunRow | None
    resumed: bool = False
    refused: str | None = None


@dataclass(frozen=True)
class ReconcileRevision:
    """One message of a dossier as reconciliation needs it: what it said and where it is."""

    message_id: int
    revision: str
    status: str
    state: MessageState
    received_at: datetime
    packet: bytes


@dataclass(frozen=True)
class ReconcileDossier:
    """What the store knows of one dossier for reconciliation: every revision, in arrival order."""

    ma_ho_so: str
    source: str
    latest_message_id: int
    revisions: tuple[ReconcileRevision, ...]

    @property
    def latest(self) -> ReconcileRevision:
        return next(r for r in self.revisions if r.message_id == self.latest_message_id)


@dataclass(frozen=True)
class NewFinding:
    """How a run judged one dossier. ``repair_message_id``: the message to put back in the outbox
    (the dossier's latest, acknowledged); ``portal_lost``: the portal does not hold the dossier, so
    the repair is sent as an insert."""

    ma_ho_so: str
    kind: str
    source: str | None
    agency: str | None
    message_id: int | None
    revision: str | None
    gateway_status: str | None
    portal_status: str | None
    portal_hash: str | None
    via: str
    last_activity: datetime | None
    activity_date: str | None
    detail: str
    repair_message_id: int | None = None
    portal_lost: bool = False


@dataclass(frozen=True)
class FindingRow:
    """One row of ``reconcile_findings``."""

    id: int
    run_id: int
    ma_ho_so: str
    kind: str
    source: str | None
    agency: str | None
    message_id: int | None
    revision: str | None
    gateway_status: str | None
    portal_status: str | None
    portal_hash: str | None
    via: str
    last_activity: datetime | None
    activity_date: str | None
    detail: str
    repaired: bool
    found_at: datetime


@dataclass(frozen=True)
class Recorded:
    """What recording a page of findings did: ``held`` False when the run's lease was lost (another
    process took the run over) and nothing was written; ``new``: findings written (a finding already
    written by an earlier attempt of the same run is not written again); ``repaired``: dossier code →
    the message put back in the outbox."""

    held: bool
    new: int = 0
    repaired: dict[str, int] | None = None


@dataclass(frozen=True)
class FindingTally:
    """How many findings of a run share a class, source, agency and day of last activity."""

    kind: str
    source: str | None
    agency: str | None
    activity_date: str | None
    count: int
    repaired: int


@dataclass(frozen=True)
class RepairRow:
    """One row of ``reconcile_repairs``: a message put back in the outbox by a run, and why."""

    id: int
    run_id: int
    message_id: int
    ma_ho_so: str
    kind: str
    repaired_at: datetime
    operator: str


# -- what watchers read (metrics, the console's dashboard) ----------------------------------------


@dataclass(frozen=True)
class RunFigures:
    """The newest finished reconciliation run over every source: its findings per class, as found
    (a class without a finding is absent)."""

    run_id: int
    finished_at: datetime | None
    counts: dict[str, int]


@dataclass(frozen=True)
class StoreFigures:
    """The store's figures at one moment, read in one transaction (``StoreWatch.figures``)."""

    states: dict[str, int]
    """Messages per state, every state present (zeros included)."""
    replayed: int
    """Rows of ``replays``: dead messages handed back to the pipeline."""
    last_ack_at: datetime | None
    """The newest acknowledgement by the portal (None: none yet)."""
    reconcile: RunFigures | None


@dataclass(frozen=True)
class HourCount:
    """One hour (``start``, aware UTC, on the hour) and the messages whose outcome fell in it:
    acknowledged by the portal (``acked_at``) and dead (``dead_at``)."""

    start: datetime
    acked: int
    dead: int
