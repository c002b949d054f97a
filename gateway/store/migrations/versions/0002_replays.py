"""Replays: who handed which dead message back to the pipeline, when, with which selection.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

# Written out here rather than imported from gateway.store.schema: a migration is a fixed step.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "replays",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("message_id", Id, nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String, nullable=False),
        sa.Column("selection", sa.Text, nullable=False),
        sa.Column("remap", sa.Boolean, nullable=False),
        sa.Column("replacement_id", Id, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_replays"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_replays_message_id_messages"),
        sa.ForeignKeyConstraint(
            ["replacement_id"], ["messages.id"], name="fk_replays_replacement_id_messages"
        ),
    )
    op.create_index("ix_replays_message_id", "replays", ["message_id"])


def downgrade() -> None:
    op.drop_table("replays")
