"""The directory asked before a request's transaction opens, never inside it.

A use case that needs a profile it was not given (someone never seen before) raises
ProfilesNeeded; the router rolls back, asks the directory for everything wanted at once,
each look-up with a short timeout, and runs the request again with the answers. A hanging
directory so never holds a transaction (and its locks) open, and costs at most one
timeout, however many people a command names."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from handlers.ports import Directory, DirectoryUnavailable, Profile

BY_ID, BY_EMAIL = "id", "email"


@dataclass(frozen=True)
class Wanted:
    """One look-up: a platform user id or an e-mail address."""

    by: str  # BY_ID | BY_EMAIL
    value: str


@dataclass(frozen=True)
class Unavailable:
    """The directory could not say (down, slow, refused): not "no such person"."""

    reason: str


Answer = Profile | None | Unavailable


class ProfilesNeeded(Exception):
    """Profiles the request needs and was not given: ask, then run it again."""

    def __init__(self, wanted: Iterable[Wanted]) -> None:
        super().__init__("profiles needed before the transaction")
        self.wanted = frozenset(wanted)


class Profiles:
    """What the directory said, by look-up, as a Directory would say it (a profile, None
    for nobody, DirectoryUnavailable) but without waiting: the answers are in already.
    Before the look-ups (`asked` False) a missing answer is ProfilesNeeded; after them,
    a look-up nobody made counts as unavailable."""

    def __init__(self, answers: Mapping[Wanted, Answer] | None = None) -> None:
        self.asked = answers is not None
        self.answers = dict(answers or {})

    def by_id(self, external_id: str) -> Profile | None:
        return self._answer(Wanted(BY_ID, external_id))

    def by_email(self, email: str) -> Profile | None:
        return self._answer(Wanted(BY_EMAIL, email))

    def final(self) -> Profiles:
        """These answers, with nothing more to be asked."""
        return self if self.asked else Profiles(self.answers)

    def _answer(self, wanted: Wanted) -> Profile | None:
        if wanted not in self.answers:
            if not self.asked:
                raise ProfilesNeeded([wanted])
            raise DirectoryUnavailable("not asked before the transaction")
        answer = self.answers[wanted]
        if isinstance(answer, Unavailable):
            raise DirectoryUnavailable(answer.reason)
        return answer


async def look_up(directory: Directory, wanted: Iterable[Wanted], timeout: float) -> Profiles:
    """Every look-up at once, each given `timeout` seconds."""
    wanted = list(wanted)
    answers = await asyncio.gather(*(_one(directory, w, timeout) for w in wanted))
    return Profiles(dict(zip(wanted, answers, strict=True)))


async def _one(directory: Directory, wanted: Wanted, timeout: float) -> Answer:
    try:
        async with asyncio.timeout(timeout):
            if wanted.by == BY_EMAIL:
                return await directory.by_email(wanted.value)
            return await directory.by_id(wanted.value)
    except TimeoutError:
        return Unavailable(f"no answer within {timeout:g}s")
    except DirectoryUnavailable as error:
        return Unavailable(str(error))
