"""The first schema: intake files, messages, dossiers, attempts, rejected inputs.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Written out here rather than imported from gateway.store.schema: a migration is a fixed step,
# it must create tomorrow what it created the day it was written.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def Utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "intake_files",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("archived_path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("received_at", Utc(), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("packets", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("duplicates", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_intake_files"),
    )
    op.create_table(
        "messages",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("ma_ho_so", sa.String, nullable=False),
        sa.Column("revision", sa.String, nullable=False),
        sa.Column("content_hash", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("mapping", sa.String, nullable=False),
        sa.Column("mapping_hash", sa.String, nullable=False),
        sa.Column("packet", sa.LargeBinary, nullable=False),
        sa.Column("file_id", Id, nullable=True),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.Column("record_index", sa.Integer, nullable=False),
        sa.Column("record_line", sa.Integer, nullable=True),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error_class", sa.String, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("received_at", Utc(), nullable=False),
        sa.Column("queued_at", Utc(), nullable=True),
        sa.Column("acked_at", Utc(), nullable=True),
        sa.Column("dead_at", Utc(), nullable=True),
        sa.Column("updated_at", Utc(), nullable=False),
        sa.Column("publish_lease_until", Utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(["file_id"], ["intake_files.id"], name="fk_messages_file_id_intake_files"),
        sa.UniqueConstraint(
            "ma_ho_so", "revision", "content_hash", name="uq_messages_ma_ho_so_revision_content_hash"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_messages_state_id", "messages", ["state", "id"])
    op.create_table(
        "dossiers",
        sa.Column("ma_ho_so", sa.String, primary_key=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("latest_message_id", Id, nullable=False),
        sa.Column("latest_revision", sa.String, nullable=False),
        sa.Column("acked_message_id", Id, nullable=True),
        sa.Column("acked_revision", sa.String, nullable=True),
        sa.Column("acked_content_hash", sa.String, nullable=True),
        sa.Column("acked_at", Utc(), nullable=True),
        sa.Column("portal_known", sa.Boolean, nullable=False),
        sa.Column("status", sa.String, nullable=True),
        sa.Column("lease_message_id", Id, nullable=True),
        sa.Column("lease_until", Utc(), nullable=True),
        sa.Column("updated_at", Utc(), nullable=False),
        sa.PrimaryKeyConstraint("ma_ho_so", name="pk_dossiers"),
        sa.ForeignKeyConstraint(
            ["latest_message_id"], ["messages.id"], name="fk_dossiers_latest_message_id_messages"
        ),
        sa.ForeignKeyConstraint(
            ["acked_message_id"], ["messages.id"], name="fk_dossiers_acked_message_id_messages"
        ),
    )
    op.create_table(
        "attempts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("message_id", Id, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", Utc(), nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=True),
        sa.Column("operation", sa.String(16), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error_class", sa.String, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("worker", sa.String, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_attempts"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_attempts_message_id_messages"),
    )
    op.create_index("ix_attempts_message_id", "attempts", ["message_id"])
    op.create_table(
        "rejected_inputs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("file_id", Id, nullable=True),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("record_index", sa.Integer, nullable=True),
        sa.Column("record_line", sa.Integer, nullable=True),
        sa.Column("ma_ho_so", sa.String, nullable=True),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("received_at", Utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rejected_inputs"),
        sa.ForeignKeyConstraint(
            ["file_id"], ["intake_files.id"], name="fk_rejected_inputs_file_id_intake_files"
        ),
    )


def downgrade() -> None:
    for table in ("rejected_inputs", "attempts", "dossiers", "messages", "intake_files"):
        op.drop_table(table)
