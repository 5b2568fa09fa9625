"""the escalation policy: acknowledgement deadlines per program, how far each concern's walk
has gone, and due items that name their concern; open concerns already raised start their
walk at once

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ack_high_minutes", sa.Integer(), server_default="60", nullable=False)
        )
        batch_op.add_column(
            sa.Column("ack_normal_minutes", sa.Integer(), server_default="480", nullable=False)
        )
        batch_op.add_column(
            sa.Column("repeat_high", sa.Boolean(), server_default="1", nullable=False)
        )
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("level_since", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("due_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("concern_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_due_item_concern_id", "concern", ["concern_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_due_item_concern_id"), ["concern_id"])
    _start_open_walks()


def _start_open_walks() -> None:
    """A concern open before this version has no walk: it takes its first step (tell level 1,
    skipping whoever holds a copy already; handlers/escalation/walk.py) on the first sweep."""
    now = datetime.now(UTC)
    op.get_bind().execute(
        sa.text(
            "INSERT INTO due_item (key, kind, program_id, pair_id, concern_id, due_at, status, "
            "created_at) SELECT 'escalation:' || CAST(id AS VARCHAR) || ':level:1:reminder:0', "
            "'escalation', program_id, pair_id, id, :now, 'pending', :now FROM concern "
            "WHERE status = 'open'"
        ),
        {"now": now},
    )


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM due_item WHERE concern_id IS NOT NULL"))
    with op.batch_alter_table("due_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_due_item_concern_id"))
        batch_op.drop_constraint("fk_due_item_concern_id", type_="foreignkey")
        batch_op.drop_column("concern_id")
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.drop_column("level_since")
        batch_op.drop_column("level")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("repeat_high")
        batch_op.drop_column("ack_normal_minutes")
        batch_op.drop_column("ack_high_minutes")
