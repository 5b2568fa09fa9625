"""The escalation walk, as due work: each step of each concern's walk (policy.py) is a due
item, and a sweep does a batch of them in one transaction with a fixed number of queries
(world.py reads, plan.py writes). A step first checks that the concern is still open and
still at that level: an acknowledgement, a hand-over or a move past an unreachable level
since it was scheduled leaves nothing for it to do.

Deadlines count from when a level's copies were delivered, so a platform the app cannot
send to (an operator's alarm) pauses the walk instead of running it through levels no one
could read: a step finding no copy of its level delivered yet looks again a minute later,
and once they are delivered, counts from then. A level whose every person cannot be reached
(their copies failed) is passed over at once, and the reporter told."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from handlers.concerns.view import ConcernFacts, render
from handlers.context import Work
from handlers.due_work import on_due_batch
from handlers.escalation import texts
from handlers.escalation.history import Copy
from handlers.escalation.plan import Plan
from handlers.escalation.policy import Step, policy_of, step_after
from handlers.escalation.start import CHECK, WALK, reminder_key, told_key
from handlers.escalation.world import World, load
from handlers.roles import LEVELS
from handlers.views import MessageView
from storage.models import Concern, ConcernStatus, DueItem, Person, Subject

log = structlog.get_logger("mentorbot.escalation")
WAIT = timedelta(minutes=1)  # a level no one has received yet is looked at again this often
# A copy delivered within this long of being decided counts from the decision: the sweeps
# run every 30 s, and a walk should not drift by the dispatcher's milliseconds.
ON_TIME = timedelta(minutes=1)


@on_due_batch(WALK, CHECK)
async def walk(work: Work, items: list[DueItem]) -> None:
    world = await load(work.session, {i.concern_id for i in items if i.concern_id is not None})
    plan = Plan(work.now)
    for item in items:
        concern = world.concerns.get(item.concern_id or 0)
        if concern is None or concern.status != ConcernStatus.OPEN:
            continue  # taken meanwhile: its walk is over
        walker = Walker(world, plan, concern)
        if item.kind == CHECK:
            walker.check_reach()
        else:
            walker.take(Step.from_key(item.key))
    await plan.write(work)
    log.info("escalation_steps", items=len(items), messages=len(plan.messages))


class Walker:
    """One concern's walk, deciding with what the batch read and writing into its plan."""

    def __init__(self, world: World, plan: Plan, concern: Concern) -> None:
        assert concern.id is not None
        self.world, self.plan, self.concern, self.now = world, plan, concern, plan.now
        self.pair = world.pairs[concern.pair_id]
        self.program = world.programs[concern.program_id]
        self.levels = world.levels[concern.program_id]
        self.members = {self.pair.mentor_id, self.pair.mentee_id}
        self.policy = policy_of(self.program)
        self.copies = world.copies.setdefault(concern.id, [])

    def take(self, step: Step) -> None:
        if step.reminder == 0:
            if self.concern.level is None or self.concern.level < step.level:
                self._tell_from(step.level)
            return
        if self.concern.level != step.level:
            return  # the walk moved on since this step was scheduled
        if self._out_of_reach(step.level):
            self._move_on()
            return
        base = self._base(step.level)
        if base is None:  # no one at the level has received it yet: the app cannot send
            self.plan.schedule(self.concern, step, self.now + WAIT, f":wait:{_stamp(self.now)}")
            return
        due_at = self.policy.due(self.concern.severity, base, step.reminder)
        if due_at > self.now:  # delivered late: its deadlines count from the delivery
            self.plan.schedule(self.concern, step, due_at, f":from:{_stamp(base)}")
            return
        self._remind(step, base)

    def check_reach(self) -> None:
        """A copy could not be delivered: if no one at the concern's level can be reached
        now, the next level is told at once."""
        if self.concern.level is not None and self._out_of_reach(self.concern.level):
            self._move_on()

    def _remind(self, step: Step, base: datetime) -> None:
        """Remind the level (a new message each, not an edit); whoever joined the level
        without a copy is sent one instead. Then schedule what follows."""
        last = self.levels.last_level(self.members) or step.level
        after = step_after(
            step,
            severity=self.concern.severity,
            last_level=last,
            repeat_high=self.policy.repeat_high,
        )
        next_due = self.policy.due(self.concern.severity, base, after.deadlines) if after else None
        facts, sent = self._facts(), []
        lead = texts.reminder_lead(step.reminder)
        for person in self._people(step.level):
            if self._unreachable(person):
                continue
            if not self._holds_copy(person):
                sent.append(self._tell(person, step.level, render(facts, person, lead=lead)))
                continue
            ahead = texts.ahead(after, next_due, self.policy, self.concern, person)
            view = render(facts, person, reminder=True, lead=lead, ahead=ahead)
            key = reminder_key(self._id, step, _id(person))
            sent.append(self.plan.send(key, self.concern, person, view, Subject.ESCALATION))
        self.copies += sent
        if after is not None and next_due is not None:
            self.plan.schedule(self.concern, after.step, next_due)

    def _tell_from(self, level: int) -> None:
        """Tell the first level from `level` on with anyone outside the pair. With none,
        the level reached stays the last: a high concern is reminded on there."""
        target = next((n for n in LEVELS if n >= level and self.levels.at(n, self.members)), None)
        if target is not None:
            # Escalated from a level before; a concern's first step (one raised before this
            # version had walks) has no level before it.
            escalated = self.concern.level is not None
            self._tell_level(target, texts.escalated_lead(target) if escalated else None)
            return
        reached = self.concern.level
        if reached is None:
            return
        after = step_after(
            Step(reached, 1),
            severity=self.concern.severity,
            last_level=reached,
            repeat_high=self.policy.repeat_high,
        )
        if after is not None:
            self.take(after.step)

    def _tell_level(self, level: int, lead: str | None) -> None:
        facts = self._facts()
        sent = [
            self._tell(person, level, render(facts, person, lead=lead))
            for person in self.levels.at(level, self.members)
            if not self._holds_copy(person)
        ]
        self.copies += sent
        self.concern.level, self.concern.level_since = level, self.now
        due_at = self.policy.due(self.concern.severity, self.now, 1)
        self.plan.schedule(self.concern, Step(level, 1), due_at)

    def _move_on(self) -> None:
        """No one at the concern's level can be reached: the next level is told now, and
        the reporter, whose receipt said this level was told, is told who has it instead."""
        current = self.concern.level or 0
        target = next((n for n in LEVELS if n > current and self.levels.at(n, self.members)), None)
        self.plan.cancel(self.concern)
        if target is not None:
            self._tell_level(target, texts.unreachable_lead(target))
        reporter = self.world.people[self.concern.reporter_id]
        view = texts.reporter_notice(
            self.concern, self.program, self.pair, reporter, self.world.mentions, target
        )
        key = f"concern:{self._id}:unreached:level:{current}:reporter:{_id(reporter)}"
        self.plan.send(key, self.concern, reporter, view, Subject.REPORTER_UPDATE)

    def _tell(self, person: Person, level: int, view: MessageView) -> Copy:
        key = told_key(self._id, level, _id(person))
        return self.plan.send(key, self.concern, person, view, Subject.CONCERN)

    def _out_of_reach(self, level: int) -> bool:
        """Everyone at the level tried, and the last message to each failed."""
        people = self._people(level)
        return bool(people) and all(self._unreachable(p) for p in people)

    def _people(self, level: int) -> list[Person]:
        """Who is at the level; if it has emptied since the concern reached it (its backups
        removed), the last level with anyone outside the pair stands in for it."""
        people = self.levels.at(level, self.members)
        last = self.levels.last_level(self.members)
        if people or last is None or last > level:
            return people
        return self.levels.at(last, self.members)

    def _unreachable(self, person: Person) -> bool:
        theirs = [c for c in self.copies if c.recipient_id == person.id]
        return bool(theirs) and theirs[-1].failed

    def _holds_copy(self, person: Person) -> bool:
        return any(c.told and c.recipient_id == person.id for c in self.copies)

    def _base(self, level: int) -> datetime | None:
        """When the level's deadlines count from: when it was told, or when its copies were
        first delivered if that was later; None while none has been."""
        since = self.concern.level_since or self.now
        ids = {p.id for p in self._people(level)}
        fresh = [
            c for c in self.copies if c.told and c.recipient_id in ids and c.created_at >= since
        ]
        if not fresh:
            return since  # those at the level held a copy already
        delivered = [c.sent_at for c in fresh if c.sent_at is not None]
        if not delivered:
            return None
        first = min(delivered)
        return since if first <= since + ON_TIME else first

    def _facts(self) -> ConcernFacts:
        checkin = self.world.checkins.get(self._id)
        copies = list(self.copies)
        return ConcernFacts(
            self.concern, self.program, self.pair, self.world.mentions, checkin, copies
        )

    @property
    def _id(self) -> int:
        assert self.concern.id is not None
        return self.concern.id


def _id(person: Person) -> int:
    assert person.id is not None
    return person.id


def _stamp(at: datetime) -> int:
    return int(at.timestamp())
