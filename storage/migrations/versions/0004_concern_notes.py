"""managers' notes on a concern: what the one who acknowledged or resolved it wrote

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledged_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("resolved_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("concern", schema=None) as batch_op:
        batch_op.drop_column("resolved_note")
        batch_op.drop_column("acknowledged_note")
