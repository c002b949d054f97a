"""Reconciliation: runs (window, progress, lease), findings (one per dossier per run), repairs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

# Written out here rather than imported from gateway.store.schema: a migration is a fixed step.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def Utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reconcile_runs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("started_at", Utc(), nullable=False),
        sa.Column("updated_at", Utc(), nullable=False),
        sa.Column("finished_at", Utc(), nullable=True),
        sa.Column("since", Utc(), nullable=True),
        sa.Column("until", Utc(), nullable=False),
        sa.Column("window_kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String, nullable=True),
        sa.Column("repair", sa.Boolean, nullable=False),
        sa.Column("started_by", sa.String(16), nullable=False),
        sa.Column("operator", sa.String, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("listing_cursor", sa.Text, nullable=True),
        sa.Column("after_code", sa.String, nullable=True),
        sa.Column("holder", sa.String, nullable=True),
        sa.Column("lease_until", Utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_runs"),
    )
    op.create_index("ix_reconcile_runs_state_id", "reconcile_runs", ["state", "id"])
    op.create_table(
        "reconcile_findings",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("run_id", Id, nullable=False),
        sa.Column("ma_ho_so", sa.String, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String, nullable=True),
        sa.Column("agency", sa.String, nullable=True),
        sa.Column("message_id", Id, nullable=True),
        sa.Column("revision", sa.String, nullable=True),
        sa.Column("gateway_status", sa.String, nullable=True),
        sa.Column("portal_status", sa.String, nullable=True),
        sa.Column("portal_hash", sa.String, nullable=True),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("last_activity", Utc(), nullable=True),
        sa.Column("activity_date", sa.String(10), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("repaired", sa.Boolean, nullable=False),
        sa.Column("found_at", Utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_findings"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["reconcile_runs.id"], name="fk_reconcile_findings_run_id_reconcile_runs"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_reconcile_findings_message_id_messages"
        ),
        sa.UniqueConstraint("run_id", "ma_ho_so", name="uq_reconcile_findings_run_id_ma_ho_so"),
    )
    op.create_index("ix_reconcile_findings_ma_ho_so", "reconcile_findings", ["ma_ho_so"])
    op.create_table(
        "reconcile_repairs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("run_id", Id, nullable=False),
        sa.Column("message_id", Id, nullable=False),
        sa.Column("ma_ho_so", sa.String, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("repaired_at", Utc(), nullable=False),
        sa.Column("operator", sa.String, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_repairs"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["reconcile_runs.id"], name="fk_reconcile_repairs_run_id_reconcile_runs"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_reconcile_repairs_message_id_messages"
        ),
    )
    op.create_index("ix_reconcile_repairs_message_id", "reconcile_repairs", ["message_id"])
    op.create_index("ix_reconcile_repairs_ma_ho_so", "reconcile_repairs", ["ma_ho_so"])


def downgrade() -> None:
    op.drop_table("reconcile_repairs")
    op.drop_table("reconcile_findings")
    op.drop_table("reconcile_runs")
