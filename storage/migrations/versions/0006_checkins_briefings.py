"""check-ins, role briefings confirmed, pauses, and the program settings they need
(check-in cadence, weekly cap on routine messages)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "checkin_cadence",
                sqlmodel.sql.sqltypes.AutoString(length=120),
                server_default="2w,4w,every 4w",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("weekly_cap", sa.Integer(), server_default="4", nullable=False)
        )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("briefing_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feeling", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("obstacle", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("words", sa.Text(), nullable=True),
        sa.Column("share_words", sa.Boolean(), nullable=False),
        sa.Column("wants_contact", sa.Boolean(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["concern_id"], ["concern.id"]),
        sa.ForeignKeyConstraint(["pair_id"], ["pair.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["program_id"], ["program.id"]),
        sa.ForeignKeyConstraint(["prompt_id"], ["outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pair_id", "person_id", "round"),
    )
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_pair_id"), ["pair_id"])
        batch_op.create_index(batch_op.f("ix_checkin_person_id"), ["person_id"])
        batch_op.create_index(batch_op.f("ix_checkin_program_id"), ["program_id"])


def downgrade() -> None:
    op.drop_table("checkin")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("briefing_confirmed_at")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("paused_until")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("weekly_cap")
        batch_op.drop_column("checkin_cadence")
