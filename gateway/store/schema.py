"""The store's tables as SQLAlchemy Core ``Table`` objects, for the queries in ``sql.py``.

These are the current shape of the schema; the migrations under ``migrations/versions/`` are what
creates and upgrades a database, and a test proves that a database migrated to head matches these
definitions exactly. Change both together: edit here, then add a migration.

Every timestamp is a ``UtcDateTime``: timezone-aware UTC in Python on both dialects (PostgreSQL
stores ``timestamptz``; SQLite stores the UTC wall time as text, which sorts and compares like the
instant it names, and the type puts the UTC zone back on read).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

# BIGINT ids on PostgreSQL (a ledger grows for years); on SQLite only ``INTEGER PRIMARY KEY``
# is the rowid alias that autoincrements.
Id = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC ``datetime`` on every dialect; naive values are refused on write."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"the store takes timezone-aware datetimes only, not {value!r}")
        utc = value.astimezone(UTC)
        # SQLite has no zone: keep the UTC wall time, which every reader interprets as UTC.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        aware: datetime = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware


metadata = MetaData(naming_convention=NAMING)

intake_files = Table(
    "intake_files",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("name", Text, nullable=False),
    Column("archived_path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("records", Integer, nullable=False),
    Column("packets", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("duplicates", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
)

messages = Table(
    "messages",
    metadata,
    # The ledger id: the broker's message_id, and the arrival order that breaks revision ties.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ma_ho_so", String, nullable=False),
    Column("revision", String, nullable=False),
    Column("content_hash", String, nullable=False),
    Column("status", String, nullable=False),
    Column("source", String, nullable=False),
    Column("mapping", String, nullable=False),
    Column("mapping_hash", String, nullable=False),
    Column("packet", LargeBinary, nullable=False),
    Column("file_id", Id, ForeignKey("intake_files.id"), nullable=True),
    Column("source_file", Text, nullable=False),
    Column("record_index", Integer, nullable=False),
    Column("record_line", Integer, nullable=True),
    Column("raw", LargeBinary, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error_class", String, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("queued_at", UtcDateTime, nullable=True),
    Column("acked_at", UtcDateTime, nullable=True),
    Column("dead_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("publish_lease_until", UtcDateTime, nullable=True),
    # Its leading column also serves every lookup by dossier code.
    UniqueConstraint("ma_ho_so", "revision", "content_hash"),
    Index(None, "state", "id"),
    # The console's deliveries and deaths per hour (``Store.hourly_outcomes``).
    Index(None, "acked_at"),
    Index(None, "dead_at"),
    # AUTOINCREMENT: an id is a broker message id and must never be handed out twice, even if
    # the newest rows are ever purged.
    sqlite_autoincrement=True,
)

dossiers = Table(
    "dossiers",
    metadata,
    Column("ma_ho_so", String, primary_key=True),
    Column("source", String, nullable=False),
    Column("latest_message_id", Id, ForeignKey("messages.id"), nullable=False),
    Column("latest_revision", String, nullable=False),
    Column("acked_message_id", Id, ForeignKey("messages.id"), nullable=True),
    Column("acked_revision", String, nullable=True),
    Column("acked_content_hash", String, nullable=True),
    Column("acked_at", UtcDateTime, nullable=True),
    Column("portal_known", Boolean, nullable=False),
    Column("status", String, nullable=True),
    Column("lease_message_id", Id, nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("message_id", Id, ForeignKey("messages.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("duration_ms", Float, nullable=True),
    Column("operation", String(16), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("error_class", String, nullable=True),
    Column("error", Text, nullable=True),
    Column("worker", String, nullable=True),
    Index(None, "message_id"),
)

rejected_inputs = Table(
    "rejected_inputs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("file_id", Id, ForeignKey("intake_files.id"), nullable=True),
    Column("file", Text, nullable=False),
    Column("record_index", Integer, nullable=True),
    Column("record_line", Integer, nullable=True),
    Column("ma_ho_so", String, nullable=True),
    Column("reasons", Text, nullable=False),  # a JSON list of strings
    Column("raw", LargeBinary, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
)

replays = Table(
    "replays",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The dead message an operator handed back to the pipeline.
    Column("message_id", Id, ForeignKey("messages.id"), nullable=False),
    Column("replayed_at", UtcDateTime, nullable=False),
    Column("operator", String, nullable=False),
    Column("selection", Text, nullable=False),  # the command's selectors, as the operator gave them
    Column("remap", Boolean, nullable=False),
    # --remap with a changed packet: the re-translated message sent in its place.
    Column("replacement_id", Id, ForeignKey("messages.id"), nullable=True),
    Index(None, "message_id"),
)

reconcile_runs = Table(
    "reconcile_runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    # The window of activity compared: [since, until); since None = from the beginning.
    Column("since", UtcDateTime, nullable=True),
    Column("until", UtcDateTime, nullable=False),
    # How the window was chosen (default | all | since | range): which later run may resume this one.
    Column("window_kind", String(16), nullable=False),
    Column("source", String, nullable=True),
    Column("repair", Boolean, nullable=False),
    Column("started_by", String(16), nullable=False),  # cli | daemon
    Column("operator", String, nullable=False),
    Column("state", String(16), nullable=False),  # running | done
    Column("phase", String(16), nullable=False),  # listing | lookup | done
    # Progress: the portal listing's next cursor, the last dossier code looked up.
    Column("listing_cursor", Text, nullable=True),
    Column("after_code", String, nullable=True),
    # Who runs it, until when (renewed at every page): a lease no other run overlaps.
    Column("holder", String, nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Index(None, "state", "id"),
)

reconcile_findings = Table(
    "reconcile_findings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("reconcile_runs.id"), nullable=False),
    Column("ma_ho_so", String, nullable=False),
    Column("kind", String(16), nullable=False),  # in_sync | missing | stale | differs | unknown | in_flight
    Column("source", String, nullable=True),
    Column("agency", String, nullable=True),
    # The gateway's latest message of the dossier when it was judged (None: unknown to the gateway).
    Column("message_id", Id, ForeignKey("messages.id"), nullable=True),
    Column("revision", String, nullable=True),
    Column("gateway_status", String, nullable=True),
    Column("portal_status", String, nullable=True),
    Column("portal_hash", String, nullable=True),
    Column("via", String(16), nullable=False),  # listing | lookup
    Column("last_activity", UtcDateTime, nullable=True),
    Column("activity_date", String(10), nullable=True),  # YYYY-MM-DD, Asia/Ho_Chi_Minh
    Column("detail", Text, nullable=False),
    Column("repaired", Boolean, nullable=False),
    Column("found_at", UtcDateTime, nullable=False),
    # One finding per dossier per run: a resumed run never judges a dossier twice.
    UniqueConstraint("run_id", "ma_ho_so"),
    Index(None, "ma_ho_so"),
)

reconcile_repairs = Table(
    "reconcile_repairs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("reconcile_runs.id"), nullable=False),
    # The dossier's latest message, put back in the outbox.
    Column("message_id", Id, ForeignKey("messages.id"), nullable=False),
    Column("ma_ho_so", String, nullable=False),
    Column("kind", String(16), nullable=False),  # why: the finding's class
    Column("repaired_at", UtcDateTime, nullable=False),
    Column("operator", String, nullable=False),
    Index(None, "message_id"),
    Index(None, "ma_ho_so"),
)
