"""The tables. Every timestamp is timezone-aware UTC; enums are stored as plain strings."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Dialect, Index, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database. SQLite keeps no zone and hands
    back naive values: they are UTC by construction, so they come back marked as UTC, and
    no caller needs to fix them up."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps are stored timezone-aware (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _required_ts() -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=False))


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


class Subject(StrEnum):
    """What an outbox message is: with the concern, pair and program columns it tells a
    query which messages to cancel, update or explain, without reading the dedupe key."""

    GREETING = "greeting"  # to a pair member: the pair has started
    BRIEFING = "briefing"  # to someone enrolled: their role, to read and confirm
    CHECKIN = "checkin"  # to a pair member: how is it going
    CHECKIN_REMINDER = "checkin_reminder"  # to a pair member: a check-in still unanswered
    CONCERN = "concern"  # to a manager: a concern's DM, updated in place as it moves on
    CONCERN_UPDATE = "concern_update"  # an update in place of a concern DM
    ESCALATION = "escalation"  # to a manager: a concern not yet acknowledged, a new reminder
    REPORTER_UPDATE = "reporter_update"  # to the reporter: their concern moved on
    ANSWER = "answer"  # the answer to what someone typed or clicked
    OTHER = "other"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Program(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    name_key: str = Field(max_length=120, unique=True)  # case-folded name: one program per name
    purpose: str | None = Field(default=None, sa_column=Column(Text))
    # The zone of its working hours for people whose own zone is not known (IANA name).
    timezone: str | None = Field(default=None, max_length=64)
    # When members are asked how it is going, from the pair's start (handlers/cadence.py).
    checkin_cadence: str = Field(
        default="2w,4w,every 4w",
        max_length=120,
        sa_column_kwargs={"server_default": "2w,4w,every 4w"},
    )
    # Routine messages a person gets a week at most; the rest wait for the next week.
    weekly_cap: int = Field(default=4, sa_column_kwargs={"server_default": "4"})
    # The escalation policy (handlers/escalation/policy.py): how long a concern may wait for
    # acknowledgement, high severity in clock minutes, normal in working minutes; and whether
    # a high one is repeated at the last level until someone acknowledges it.
    ack_high_minutes: int = Field(default=60, sa_column_kwargs={"server_default": "60"})
    ack_normal_minutes: int = Field(default=480, sa_column_kwargs={"server_default": "480"})
    repeat_high: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _required_ts()


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320, unique=True)
    timezone: str | None = Field(default=None, max_length=64)
    # The identity they used last: how they are reached (no FK, to keep the tables acyclic).
    last_identity_id: int | None = None
    # `pause 2w`: no routine prompts until then (concerns are never paused).
    paused_until: datetime | None = _ts()
    created_at: datetime = _required_ts()


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
    created_at: datetime = _required_ts()
    # The role briefing read and confirmed (mentors and mentees).
    briefing_confirmed_at: datetime | None = _ts()


class Pair(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    mentor_id: int = Field(foreign_key="person.id", index=True)
    mentee_id: int = Field(foreign_key="person.id", index=True)
    state: str = Field(default=PairState.ACTIVE, max_length=16)
    created_at: datetime = _required_ts()
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
    created_at: datetime = _required_ts()
    acknowledged_by_id: int | None = Field(default=None, foreign_key="person.id")
    acknowledged_at: datetime | None = _ts()
    # A manager's note on what they did: shown to the managers only, never to the reporter,
    # never logged (a person's words, like the concern's own).
    acknowledged_note: str | None = Field(default=None, sa_column=Column(Text))
    resolved_by_id: int | None = Field(default=None, foreign_key="person.id")
    resolved_at: datetime | None = _ts()
    resolved_note: str | None = Field(default=None, sa_column=Column(Text))
    # How far the escalation walk has gone: the level last told (1 the managers, 2 the
    # backups; None while no one outside the pair can be), and since when.
    level: int | None = None
    level_since: datetime | None = _ts()


class OutboxMessage(SQLModel, table=True):
    """One message to one person. Written in the transaction that decided it must be said."""

    __tablename__ = "outbox"
    # Claimed by priority, then due time: the index serves that order.
    __table_args__ = (Index("ix_outbox_due", "status", "priority", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    subject: str = Field(
        default=Subject.OTHER, max_length=32, sa_column_kwargs={"server_default": "other"}
    )
    program_id: int | None = Field(default=None, foreign_key="program.id", index=True)
    pair_id: int | None = Field(default=None, foreign_key="pair.id", index=True)
    concern_id: int | None = Field(default=None, foreign_key="concern.id", index=True)
    # Where an answer goes instead of the recipient's DM (a Slack response_url): it
    # travels with the row, so a late answer is still delivered durably.
    reply_to: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    recipient_id: int = Field(foreign_key="person.id", index=True)
    view: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # An update replaces the message another row sent, in place.
    replaces_id: int | None = Field(default=None, foreign_key="outbox.id")
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    # Lower goes first: a concern must not queue behind a round of routine prompts.
    priority: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    attempts: int = 0
    next_attempt_at: datetime = _required_ts()
    claimed_until: datetime | None = _ts()
    created_at: datetime = _required_ts()
    sent_at: datetime | None = _ts()
    platform: str | None = Field(default=None, max_length=16)
    sent_ref: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    last_error: str | None = Field(default=None, max_length=500)


class Feeling(StrEnum):
    GOOD = "good"
    OKAY = "okay"
    STRUGGLING = "struggling"


class Obstacle(StrEnum):
    NOTHING = "nothing"
    NOT_MEETING = "not-meeting"
    NO_PREPARATION = "no-preparation"
    CONFIDENTIALITY = "confidentiality"
    MISMATCH = "mismatch"
    SOMETHING_ELSE = "something-else"


class Checkin(SQLModel, table=True):
    """One member of one pair asked, privately, how it is going. Their answers and words
    are confidential: the partner never sees them; managers only through a concern."""

    __table_args__ = (UniqueConstraint("pair_id", "person_id", "round"),)
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    pair_id: int = Field(foreign_key="pair.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    round: int  # 1, 2, … on the program's cadence; ad-hoc check-ins count on from 1000
    asked_at: datetime = _required_ts()
    # The prompt's outbox row: updated in place to say what was answered and when.
    prompt_id: int | None = Field(default=None, foreign_key="outbox.id")
    answered_at: datetime | None = _ts()
    feeling: str | None = Field(default=None, max_length=16)
    obstacle: str | None = Field(default=None, max_length=32)
    words: str | None = Field(default=None, sa_column=Column(Text))  # confidential
    share_words: bool = False
    wants_contact: bool = False
    concern_id: int | None = Field(default=None, foreign_key="concern.id")


class DueStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"


class DueItem(SQLModel, table=True):
    """Work that falls due at a time (a check-in round, a reminder): found by the sweeps
    through one indexed query, whatever the number of pairs. No job per item: a restart
    loses nothing, and a second replica skips what another has locked."""

    __tablename__ = "due_item"
    __table_args__ = (Index("ix_due_item_due", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # what it is, so it is scheduled once
    kind: str = Field(max_length=32)
    program_id: int | None = Field(default=None, foreign_key="program.id", index=True)
    pair_id: int | None = Field(default=None, foreign_key="pair.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    concern_id: int | None = Field(default=None, foreign_key="concern.id", index=True)
    due_at: datetime = _required_ts()
    status: str = Field(default=DueStatus.PENDING, max_length=16)
    created_at: datetime = _required_ts()
    done_at: datetime | None = _ts()


class ProcessedEvent(SQLModel, table=True):
    """Platform event ids already handled, so a retried delivery is handled once."""

    __tablename__ = "processed_event"
    event_key: str = Field(primary_key=True, max_length=200)
    received_at: datetime = _required_ts()
    # The first answer given, for a retried or replayed request to get again.
    answer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class CarriedRequest(SQLModel, table=True):
    """A request acknowledged before its work was done (Slack's 3 seconds ran out, or the
    bot was too busy to start it): what it takes to run it again if this process dies
    first. Deleted once the work is done; a row whose lease ran out is run again."""

    __tablename__ = "carried_request"
    key: str = Field(primary_key=True, max_length=200)  # the request's once-key
    kind: str = Field(max_length=16)
    caller: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # What was typed, or the button pressed: people's words, kept only until done.
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    reply_to: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    received_at: datetime = _required_ts()
    lease_until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    attempts: int = 0


class AuditEntry(SQLModel, table=True):
    """Who did what to whom. Holds ids and kinds, never people's words."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _required_ts()
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=64)
    subject: str = Field(max_length=200)
    program_id: int | None = Field(default=None, foreign_key="program.id")
