"""typed outbox subjects (what a message is, its pair and concern), answers that travel
with their row (a Slack response_url), and the first answer kept for replayed requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The dedupe keys rows were written with before they had typed columns.
GREETING = re.compile(r"pair:(\d+):greeting:\d+")
CONCERN_DM = re.compile(r"concern:(\d+):manager:\d+")
CONCERN_UPDATE = re.compile(r"concern:(\d+):[^:]+:update:\d+")


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("subject", sa.String(length=32), server_default="other", nullable=False)
        )
        batch_op.add_column(sa.Column("pair_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("concern_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reply_to", sa.JSON(), nullable=True))
        batch_op.create_index("ix_outbox_pair_id", ["pair_id"])
        batch_op.create_index("ix_outbox_concern_id", ["concern_id"])
        batch_op.create_foreign_key("fk_outbox_pair_id", "pair", ["pair_id"], ["id"])
        batch_op.create_foreign_key("fk_outbox_concern_id", "concern", ["concern_id"], ["id"])
    with op.batch_alter_table("processed_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer", sa.JSON(), nullable=True))
    _type_existing_rows()


def _type_existing_rows() -> None:
    bind = op.get_bind()
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer),
        sa.column("dedupe_key", sa.String),
        sa.column("subject", sa.String),
        sa.column("pair_id", sa.Integer),
        sa.column("concern_id", sa.Integer),
    )
    rows = bind.execute(sa.select(outbox.c.id, outbox.c.dedupe_key)).all()
    for row_id, key in rows:
        values = _typed(key)
        if values:
            bind.execute(sa.update(outbox).where(outbox.c.id == row_id).values(**values))


def _typed(key: str) -> dict[str, object]:
    if found := GREETING.fullmatch(key):
        return {"subject": "greeting", "pair_id": int(found[1])}
    if found := CONCERN_DM.fullmatch(key):
        return {"subject": "concern", "concern_id": int(found[1])}
    if found := CONCERN_UPDATE.fullmatch(key):
        return {"subject": "concern_update", "concern_id": int(found[1])}
    if key.startswith("answer:"):
        return {"subject": "answer"}
    return {}


def downgrade() -> None:
    with op.batch_alter_table("processed_event", schema=None) as batch_op:
        batch_op.drop_column("answer")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("fk_outbox_concern_id", type_="foreignkey")
        batch_op.drop_constraint("fk_outbox_pair_id", type_="foreignkey")
        batch_op.drop_index("ix_outbox_concern_id")
        batch_op.drop_index("ix_outbox_pair_id")
        batch_op.drop_column("reply_to")
        batch_op.drop_column("concern_id")
        batch_op.drop_column("pair_id")
        batch_op.drop_column("subject")
