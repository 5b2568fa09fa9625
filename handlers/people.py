"""People and their platform identities: who is calling, and who a command names."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Caller, Context, Deps, Refusal
from handlers.grammar import Email, Handle, Name, PersonRef
from handlers.lookups import BY_EMAIL, BY_ID, Profiles, ProfilesNeeded, Wanted
from handlers.ports import DirectoryUnavailable, Profile
from handlers.text import UNSAFE, clean
from handlers.views import Mention
from storage.models import Identity, Person


def storable(caller: Caller) -> bool:
    """Whether the caller's ids fit what is kept of them: a request naming an id no
    platform gives (over 128 characters) is refused before anything is stored."""
    ids = (caller.external_id, caller.workspace_id or "", *caller.aliases)
    # No platform's ids hold control characters; PostgreSQL refuses a NUL in text.
    return all(len(value) <= ID_LENGTH and not UNSAFE.search(value) for value in ids)


async def identity_of(session: AsyncSession, platform: str, external_id: str) -> Identity | None:
    query = select(Identity).where(
        Identity.platform == platform, Identity.external_id == external_id
    )
    return (await session.exec(query)).first()


async def caller_person(
    session: AsyncSession, deps: Deps, caller: Caller, profiles: Profiles
) -> Person:
    """The caller's person, created on first contact (from `profiles`: ProfilesNeeded if
    the directory was not asked yet); this identity becomes the one they are reached by.
    One query on the hot path."""
    query = (
        select(Identity, Person)
        .join(Person, col(Person.id) == Identity.person_id)
        .where(Identity.platform == caller.platform, Identity.external_id == caller.external_id)
    )
    found = (await session.exec(query)).first()
    now = deps.clock.now()
    if found is None:
        person = await _first_contact(session, deps, caller, now, profiles)
        identity = Identity(
            person_id=person.id, platform=caller.platform, external_id=caller.external_id
        )
        session.add(identity)
        await session.flush()
    else:
        identity, person = found
    _note_contact(identity, person, caller, now)
    return person


async def _first_contact(
    session: AsyncSession, deps: Deps, caller: Caller, now: datetime, profiles: Profiles
) -> Person:
    """Their platform profile fills in what the request did not say (Slack sends only an
    id; Teams a name but no e-mail address), once: later requests find the person."""
    profile = Profile(caller.external_id, caller.name or "", caller.email, caller.timezone)
    if not (caller.name and caller.email) and caller.platform in deps.directories:
        try:
            found = profiles.by_id(caller.external_id)
        except DirectoryUnavailable:
            found = None  # the caller's own name can wait for a later contact
        if found is not None:
            profile = Profile(
                caller.external_id,
                found.name or profile.name,
                found.email or profile.email,
                found.timezone or profile.timezone,
            )
    return await _person_for_profile(session, profile, now)


SEEN_PRECISION = timedelta(hours=1)
NAME_LENGTH = 200  # Person.display_name
ID_LENGTH = 128  # Identity.external_id and workspace_id: no platform's ids come near it


def _note_contact(identity: Identity, person: Person, caller: Caller, now: datetime) -> None:
    """Only real changes are written, so a read-only command stays a read-only transaction."""
    if person.last_identity_id != identity.id:
        person.last_identity_id = identity.id
    seen = identity.last_seen_at
    if seen is None or now - seen >= SEEN_PRECISION:
        identity.last_seen_at = now
    if caller.workspace_id and identity.workspace_id != caller.workspace_id:
        identity.workspace_id = caller.workspace_id
    if caller.address and identity.address != caller.address:
        identity.address = caller.address
    if caller.timezone and person.timezone != caller.timezone:
        person.timezone = caller.timezone  # people travel: their client knows where they are


async def resolve(ctx: Context, ref: PersonRef) -> Person:
    """The person a command names; unknown platform users are added on first mention."""
    if isinstance(ref, Handle):
        return await _by_handle(ctx, ref)
    if isinstance(ref, Email):
        return await _by_email(ctx, ref.address)
    return await _by_name(ctx, ref)


async def _by_handle(ctx: Context, ref: Handle) -> Person:
    if len(ref.external_id) > ID_LENGTH:
        raise Refusal("I can't find that person in this workspace.")
    platform = ctx.caller.platform
    identity = await identity_of(ctx.session, platform, ref.external_id)
    if identity is not None:
        person = await ctx.session.get(Person, identity.person_id)
        assert person is not None
        return person
    checked = platform in ctx.deps.directories
    try:
        profile = ctx.profiles.by_id(ref.external_id) if checked else None
    except DirectoryUnavailable:
        checked, profile = False, None  # cannot check now: take the mention as it is
    if checked:
        _require_reachable(profile, ref)
    profile = profile or Profile(ref.external_id, ref.name or ref.external_id)
    return await _add_platform_person(ctx, platform, profile)


def _require_reachable(profile: Profile | None, ref: Handle) -> None:
    """Only a real, active person can be enrolled, paired or told of a concern."""
    who = f"@{ref.name}" if ref.name else "that person"
    if profile is None:
        raise Refusal(f"I can't find {who} in this workspace.")
    if profile.is_bot:
        raise Refusal(f"{who[0].upper()}{who[1:]} is a bot, not a person.")
    if profile.deactivated:
        raise Refusal(f"{who[0].upper()}{who[1:]}'s account is deactivated.")


async def _by_email(ctx: Context, address: str) -> Person:
    person = (await ctx.session.exec(select(Person).where(Person.email == address))).first()
    if person is not None:
        return person
    try:
        checked = ctx.caller.platform in ctx.deps.directories
        profile = ctx.profiles.by_email(address) if checked else None
    except DirectoryUnavailable:
        raise Refusal(
            f"I can't look up {address} right now. Please try again in a minute, or "
            "mention the person instead."
        ) from None
    if profile is None:
        raise Refusal(f"I can't find anyone with the address {address} here.")
    if profile.is_bot or profile.deactivated:
        raise Refusal(f"{address} belongs to a bot or a deactivated account.")
    existing = await identity_of(ctx.session, ctx.caller.platform, profile.external_id)
    if existing is not None:
        found = await ctx.session.get(Person, existing.person_id)
        assert found is not None
        return found
    return await _add_platform_person(ctx, ctx.caller.platform, profile)


async def _by_name(ctx: Context, ref: Name) -> Person:
    identity = await identity_of(ctx.session, ctx.caller.platform, ref.name)
    if identity is not None:
        person = await ctx.session.get(Person, identity.person_id)
        assert person is not None
        return person
    query = select(Person).where(Person.display_name.ilike(ref.name))  # type: ignore[attr-defined]
    matches = list((await ctx.session.exec(query)).all())
    if len(matches) == 1:
        return matches[0]
    raise Refusal(
        f"I don't know who @{ref.name} is. Mention them so the name turns into a link, "
        "or use their e-mail address."
    )


async def unknown(session: AsyncSession, platform: str, refs: list[PersonRef]) -> set[Wanted]:
    """The look-ups the people named need: mentions and addresses the bot does not know."""
    handles = {ref.external_id for ref in refs if isinstance(ref, Handle)}
    emails = {ref.address for ref in refs if isinstance(ref, Email)}
    if handles:
        query = select(Identity.external_id).where(
            Identity.platform == platform, col(Identity.external_id).in_(handles)
        )
        handles -= set((await session.exec(query)).all())
    if emails:
        emails -= set(
            (await session.exec(select(Person.email).where(col(Person.email).in_(emails)))).all()
        )
    return {Wanted(BY_ID, h) for h in handles} | {Wanted(BY_EMAIL, e) for e in emails}


async def known_caller(
    session: AsyncSession, deps: Deps, caller: Caller, refs: list[PersonRef], profiles: Profiles
) -> Person:
    """caller_person, first making sure that everyone the request names is known or was
    looked up: ProfilesNeeded says, all at once, what the directory must be asked."""
    if caller.platform not in deps.directories or profiles.asked:
        return await caller_person(session, deps, caller, profiles)
    try:
        me = await caller_person(session, deps, caller, profiles)
    except ProfilesNeeded as needed:
        raise ProfilesNeeded(
            needed.wanted | await unknown(session, caller.platform, refs)
        ) from None
    wanted = await unknown(session, caller.platform, refs) if refs else set()
    if wanted:
        raise ProfilesNeeded(wanted)
    return me


async def _add_platform_person(ctx: Context, platform: str, profile: Profile) -> Person:
    person = await _person_for_profile(ctx.session, profile, ctx.now)
    ctx.session.add(
        Identity(
            person_id=person.id,
            platform=platform,
            external_id=profile.external_id,
            workspace_id=ctx.caller.workspace_id,
            address=ctx.caller.peer_address,
        )
    )
    await ctx.session.flush()
    return person


async def _person_for_profile(session: AsyncSession, profile: Profile, now: datetime) -> Person:
    """A person with this e-mail may already exist from another platform: join them."""
    email = profile.email.lower() if profile.email else None
    if email:
        existing = (await session.exec(select(Person).where(Person.email == email))).first()
        if existing is not None:
            return existing
    person = Person(
        display_name=clean(profile.name or profile.external_id)[:NAME_LENGTH],
        email=email,
        timezone=profile.timezone,
        created_at=now,
    )
    session.add(person)
    await session.flush()
    return person


async def mention(session: AsyncSession, person: Person) -> Mention:
    identities = (await session.exec(select(Identity).where(Identity.person_id == person.id))).all()
    return Mention(
        name=person.display_name, handles={i.platform: i.external_id for i in identities}
    )
