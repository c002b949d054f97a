"""The message store: the ledger of every packet and delivery attempt, the outbox, the dossiers.

``Store.open(url)`` connects to SQLite (``sqlite:///path``, the default) or PostgreSQL
(``postgresql://...``), brings the schema to head with the package's Alembic migrations, and
returns a store for one thread; ``StoreWatch(url)`` reads it without migrating (a reachability
check and the figures the metrics show). See ``gateway.store.sql`` for who calls what, and
``gateway.store.model`` for the values that go in and come out.
"""

from __future__ import annotations

from gateway.store._watch import StoreWatch
from gateway.store.model import (
    AttemptRow,
    DeadLetterRow,
    DeadQuery,
    Decision,
    DeliveryDecision,
    DeliveryOutcome,
    DossierRow,
    FindingRow,
    FindingTally,
    HourCount,
    Ingested,
    IntakeFileRow,
    MessageRow,
    MessageState,
    NewFile,
    NewFinding,
    NewMessage,
    NewReconcileRun,
    NewRejection,
    NewReplay,
    OutboxItem,
    ReconcileDossier,
    ReconcileRevision,
    ReconcileRunRow,
    Recorded,
    RejectionRow,
    RepairRow,
    Replayed,
    ReplayRow,
    Result,
    RunClaim,
    RunFigures,
    StoreFigures,
)
from gateway.store.sql import Store

__all__ = [
    "AttemptRow",
    "DeadLetterRow",
    "DeadQuery",
    "Decision",
    "DeliveryDecision",
    "DeliveryOutcome",
    "DossierRow",
    "FindingRow",
    "FindingTally",
    "HourCount",
    "Ingested",
    "IntakeFileRow",
    "MessageRow",
    "MessageState",
    "NewFile",
    "NewFinding",
    "NewMessage",
    "NewReconcileRun",
    "NewRejection",
    "NewReplay",
    "OutboxItem",
    "ReconcileDossier",
    "ReconcileRevision",
    "ReconcileRunRow",
    "Recorded",
    "RejectionRow",
    "RepairRow",
    "ReplayRow",
    "Replayed",
    "Result",
    "RunClaim",
    "RunFigures",
    "Store",
    "StoreFigures",
    "StoreWatch",
]
