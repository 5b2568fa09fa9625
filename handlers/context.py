"""What every use case gets: the session of its one transaction, the clock, the caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import weekly_cap
from handlers.lookups import Profiles
from handlers.ports import Clock, Directory
from handlers.views import MessageView
from handlers.working_time import zone_for
from storage import outbox
from storage.db import SessionFactory
from storage.models import AuditEntry, Person, Program, Subject


@dataclass(frozen=True)
class Caller:
    """Who sent a request, as the platform says."""

    platform: str
    external_id: str
    workspace_id: str | None = None
    name: str | None = None
    email: str | None = None
    address: dict[str, Any] | None = None  # how to reach them again (Teams conversation ref)
    aliases: tuple[str, ...] = ()  # other ids that name them (a Teams user's AAD object id)
    # How to reach people first met in this request by mention (Teams: service URL, tenant).
    peer_address: dict[str, Any] | None = None
    timezone: str | None = None  # an IANA zone the platform vouched for (Teams' localTimezone)
    # The edge checked that the request comes from the organisation the bot is installed in
    # (the Slack workspace auth.test names): only then are its ids MENTORBOT_ADMINS ids.
    from_home_workspace: bool = True


@dataclass
class Deps:
    sessions: SessionFactory
    clock: Clock
    admins: frozenset[str] = frozenset()
    directories: dict[str, Directory] = field(default_factory=dict)
    wake_dispatcher: Callable[[], None] = lambda: None
    # Platforms the app cannot send to at all (a revoked token), each with why, in words.
    delivery_alarms: Callable[[], dict[str, str]] = dict
    open_platforms: frozenset[str] = frozenset({"console"})  # where anyone may create programs
    directory_timeout: float = 1.0  # seconds per look-up (slack_sdk's own default is 30)
    # Keys of the requests this process is running: a replay arriving meanwhile is not run
    # again (the first one's answer arrives anyway).
    in_flight: set[str] = field(default_factory=set)
    # Routine messages wait for their recipient's working hours; the console demo, where
    # one person plays everyone at any hour, delivers them at once.
    routine_waits: bool = True


class Refusal(Exception):
    """The request is wrong or not allowed: answer privately, change nothing."""

    def __init__(self, problem: str, form: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.form = form


@dataclass(kw_only=True)
class Work:
    """One transaction's work, with or without a person asking: a request's use case, or a
    sweep doing what fell due. What it queues is sent after commit."""

    session: AsyncSession
    deps: Deps
    queued: int = 0

    @property
    def now(self) -> datetime:
        return self.deps.clock.now()

    async def say(
        self,
        key: str,
        to: Person,
        view: MessageView,
        *,
        subject: Subject,
        program_id: int | None = None,
        pair_id: int | None = None,
        concern_id: int | None = None,
        replaces_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
        urgent: bool = False,
    ) -> bool:
        """Queue a message to one person, in this transaction. False: that key was queued
        before, so nothing new was added. `subject` and the ids say what it is about, for
        the queries that later cancel, update or explain it. A routine message (not
        `urgent`) waits for the recipient's working hours, for the end of their pause and
        for room under the program's weekly cap (handlers/weekly_cap.py); an urgent one,
        or one about a concern, never waits."""
        assert to.id is not None
        waits = self.deps.routine_waits and not urgent and concern_id is None
        not_before = await self._routine_time(to, program_id, subject) if waits else None
        added = await outbox.enqueue(
            self.session,
            key=key,
            subject=subject,
            recipient_id=to.id,
            view=view.to_json(),
            now=self.now,
            not_before=not_before,
            program_id=program_id,
            pair_id=pair_id,
            concern_id=concern_id,
            replaces_id=replaces_id,
            reply_to=reply_to,
            priority=outbox.URGENT if urgent else outbox.ROUTINE,
        )
        self.queued += int(added)
        return added

    async def _routine_time(self, to: Person, program_id: int | None, subject: Subject) -> datetime:
        """Now, or the start of the recipient's next working hours after any pause (in
        their time zone, else the program's, else UTC), in a week with room under the cap
        (made, if need be, by moving a less important message on)."""
        assert to.id is not None
        program = await self.session.get(Program, program_id) if program_id else None
        zone = zone_for(to.timezone, program.timezone if program else None)
        now = self.now  # one instant for every decision below
        slot = weekly_cap.first_slot(now, to.paused_until, zone)
        if subject in weekly_cap.UNCAPPED:
            return slot
        cap = program.weekly_cap if program else weekly_cap.DEFAULT_CAP
        return await weekly_cap.capped_slot(
            self.session,
            recipient_id=to.id,
            subject=subject,
            slot=slot,
            zone=zone,
            cap=cap,
            now=now,
        )


@dataclass(kw_only=True)
class Context(Work):
    """A request's work: who asked, as a person, and what the directory said beforehand."""

    caller: Caller
    me: Person
    # The directory's answers about people this request names, asked before it began.
    profiles: Profiles = field(default_factory=lambda: Profiles({}))

    def audit(self, action: str, subject: str, program_id: int | None = None) -> None:
        self.session.add(
            AuditEntry(
                at=self.now,
                actor_id=self.me.id,
                action=action,
                subject=subject,
                program_id=program_id,
            )
        )
