"""The Alembic migrations build, on a fresh SQLite file, exactly the schema the models
describe (PostgreSQL: tests/postgres/test_postgres_outbox.py)."""

from __future__ import annotations

from fakes.schema import current_revision, head_revision, schema_diff, table_names
from sqlmodel import SQLModel

from storage import db


async def test_upgrade_builds_the_models_schema_on_a_fresh_sqlite_file(tmp_path):
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert await table_names(engine) == set()

        await db.upgrade(engine)

        assert await table_names(engine) == set(SQLModel.metadata.tables) | {"alembic_version"}
        assert await current_revision(engine) == head_revision()
        assert await schema_diff(engine) == []

        await db.upgrade(engine)  # every start upgrades: the second time is a no-op
        assert await current_revision(engine) == head_revision()
        assert await schema_diff(engine) == []
    finally:
        await engine.dispose()


async def test_rows_written_before_typed_subjects_get_them_from_their_keys(tmp_path):
    """0003 types the outbox rows a running bot already had, from the keys it wrote."""
    from alembic import command
    from sqlalchemy import text

    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")

    def upgrade_to(revision: str):
        def run(sync_conn):
            config = db.alembic_config(str(engine.url))
            config.attributes["connection"] = sync_conn
            command.upgrade(config, revision)

        return run

    old_rows = [
        (1, "pair:1:greeting:1"),
        (2, "concern:1:manager:1"),
        (3, "concern:1:acknowledged:update:1"),
        (4, "answer:slack:Ev1"),
        (5, "something:else"),
    ]
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to("0002"))
            now = "'2026-11-30 09:00:00'"
            await conn.execute(
                text(f"INSERT INTO person VALUES (1, 'Maya', NULL, NULL, NULL, {now})")
            )
            await conn.execute(text(f"INSERT INTO program VALUES (1, 'P', 'p', NULL, 1, {now})"))
            await conn.execute(text(f"INSERT INTO pair VALUES (1, 1, 1, 1, 'active', {now}, NULL)"))
            await conn.execute(
                text(
                    "INSERT INTO concern (id, program_id, pair_id, reporter_id, kind, severity,"
                    f" status, created_at) VALUES (1, 1, 1, 1, 'other', 'normal', 'open', {now})"
                )
            )
            for row_id, key in old_rows:
                await conn.execute(
                    text(
                        "INSERT INTO outbox (id, dedupe_key, recipient_id, view, status, priority,"
                        f" attempts, next_attempt_at, created_at) VALUES ({row_id}, '{key}', 1,"
                        f" '{{}}', 'sent', 1, 1, {now}, {now})"
                    )
                )
            await conn.run_sync(upgrade_to("head"))
            typed = (
                await conn.execute(
                    text("SELECT id, subject, pair_id, concern_id FROM outbox ORDER BY id")
                )
            ).all()
        assert [tuple(row) for row in typed] == [
            (1, "greeting", 1, None),
            (2, "concern", None, 1),
            (3, "concern_update", None, 1),
            (4, "answer", None, None),
            (5, "other", None, None),
        ]
        assert await schema_diff(engine) == []
    finally:
        await engine.dispose()


async def test_concerns_open_before_the_escalation_policy_start_their_walk(tmp_path):
    """0008 gives each open concern its walk's first step, due at once: tell level 1 (those
    who hold a copy already are skipped), then remind on the program's deadline."""
    from alembic import command
    from sqlalchemy import text

    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")

    def upgrade_to(revision: str):
        def run(sync_conn):
            config = db.alembic_config(str(engine.url))
            config.attributes["connection"] = sync_conn
            command.upgrade(config, revision)

        return run

    now = "'2026-11-30 09:00:00'"
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to("0007"))
            for statement in (
                f"INSERT INTO person (id, display_name, created_at) VALUES (1, 'Maya', {now})",
                "INSERT INTO program (id, name, name_key, created_at, checkin_cadence, weekly_cap)"
                f" VALUES (1, 'P', 'p', {now}, '2w', 4)",
                "INSERT INTO pair (id, program_id, mentor_id, mentee_id, state, created_at)"
                f" VALUES (1, 1, 1, 1, 'active', {now})",
                *(
                    "INSERT INTO concern (id, program_id, pair_id, reporter_id, kind, severity,"
                    f" status, created_at) VALUES ({n}, 1, 1, 1, 'other', 'normal', '{s}', {now})"
                    for n, s in ((1, "open"), (2, "acknowledged"), (3, "resolved"), (4, "open"))
                ),
            ):
                await conn.execute(text(statement))
            await conn.run_sync(upgrade_to("head"))
            steps = (
                await conn.execute(
                    text("SELECT key, kind, concern_id, status FROM due_item ORDER BY concern_id")
                )
            ).all()
            program = (
                await conn.execute(
                    text("SELECT ack_high_minutes, ack_normal_minutes, repeat_high FROM program")
                )
            ).one()
        assert [tuple(row) for row in steps] == [
            ("escalation:1:level:1:reminder:0", "escalation", 1, "pending"),
            ("escalation:4:level:1:reminder:0", "escalation", 4, "pending"),
        ]
        assert tuple(program) == (60, 480, 1)
        assert await schema_diff(engine) == []
    finally:
        await engine.dispose()
