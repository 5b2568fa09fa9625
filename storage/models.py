"""The tables. Every timestamp is timezone-aware UTC; enums are stored as plain strings."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index)
    )


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    MANAGER = "manager"
    BACKUP_MANAGER = "backup_manager"


MANAGER_ROLES = (Role.MANAGER, Role.BACKUP_MANAGER)


class PairState(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class ConcernStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Program(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    name_key: str = Field(max_length=120, unique=True)  # case-folded name: one program per name
    purpose: str | None = Field(default=None, sa_column=Column(Text))
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320, unique=True)
    timezone: str | None = Field(default=None, max_length=64)
    # The identity they used last: how they are reached (no FK, to keep the tables acyclic).
    last_identity_id: int | None = None
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Identity(SQLModel, table=True):
    """One account of a person on one platform; the most recently used one is how we reach them."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    workspace_id: str | None = Field(default=None, max_length=128)  # Slack team / Teams tenant
    address: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # e.g. Teams ref
    last_seen_at: datetime | None = _ts()


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("program_id", "person_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=16)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Pair(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    mentor_id: int = Field(foreign_key="person.id", index=True)
    mentee_id: int = Field(foreign_key="person.id", index=True)
    state: str = Field(default=PairState.ACTIVE, max_length=16)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ended_at: datetime | None = _ts()


class Concern(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    pair_id: int = Field(foreign_key="pair.id", index=True)
    reporter_id: int = Field(foreign_key="person.id")
    kind: str = Field(max_length=32)
    severity: str = Field(max_length=16)
    words: str | None = Field(default=None, sa_column=Column(Text))  # confidential: never logged
    status: str = Field(default=ConcernStatus.OPEN, max_length=16, index=True)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    acknowledged_by_id: int | None = Field(default=None, foreign_key="person.id")
    acknowledged_at: datetime | None = _ts()
    resolved_by_id: int | None = Field(default=None, foreign_key="person.id")
    resolved_at: datetime | None = _ts()


class OutboxMessage(SQLModel, table=True):
    """One message to one person. Written in the transaction that decided it must be said."""

    __tablename__ = "outbox"
    # Claimed by priority, then due time: the index serves that order.
    __table_args__ = (Index("ix_outbox_due", "status", "priority", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    program_id: int | None = Field(default=None, foreign_key="program.id", index=True)
    recipient_id: int = Field(foreign_key="person.id", index=True)
    view: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # An update replaces the message another row sent, in place.
    replaces_id: int | None = Field(default=None, foreign_key="outbox.id")
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    # Lower goes first: a concern must not queue behind a round of routine prompts.
    priority: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    claimed_until: datetime | None = _ts()
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = _ts()
    platform: str | None = Field(default=None, max_length=16)
    sent_ref: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    last_error: str | None = Field(default=None, max_length=500)


class ProcessedEvent(SQLModel, table=True):
    """Platform event ids already handled, so a retried delivery is handled once."""

    __tablename__ = "processed_event"
    event_key: str = Field(primary_key=True, max_length=200)
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class AuditEntry(SQLModel, table=True):
    """Who did what to whom. Holds ids and kinds, never people's words."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=64)
    subject: str = Field(max_length=200)
    program_id: int | None = Field(default=None, foreign_key="program.id")
