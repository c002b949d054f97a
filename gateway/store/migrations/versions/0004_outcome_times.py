"""Outcome times: indexes on ``messages.acked_at`` and ``messages.dead_at``.

The console's dashboard counts, per hour, the messages the portal acknowledged and the messages
that died (``Store.hourly_outcomes``); both filter on these columns, which grow with the ledger.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_messages_acked_at", "messages", ["acked_at"])
    op.create_index("ix_messages_dead_at", "messages", ["dead_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_dead_at", table_name="messages")
    op.drop_index("ix_messages_acked_at", table_name="messages")
