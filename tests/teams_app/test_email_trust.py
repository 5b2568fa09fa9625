"""E-mail addresses join a Teams identity to a person known elsewhere (Slack, or an admin
named by address). A multi-tenant bot hears any tenant, whose directory may claim any
address, so only a single-tenant bot (TEAMS_TENANT_ID) believes them."""

from __future__ import annotations

from fakes.teams_harness import OTHER_TENANT, TeamsPerson, teams_app, teams_settings

from storage.models import Person

# Someone in another organisation whose directory says they are the admin, ada@example.com.
IMPOSTOR = TeamsPerson("mallory", "29:1mallory", "Mallory", "aad-mallory", "ada@example.com")


async def test_without_a_tenant_id_teams_addresses_neither_join_nor_make_admins(
    engine, clock
) -> None:
    settings = teams_settings(tenant=None, admins="ada@example.com")
    async with teams_app(
        engine, clock, settings=settings, people={"mallory": IMPOSTOR}, tenant=OTHER_TENANT
    ) as teams:
        [reply] = await teams.say("mallory", 'program create "Taken over"')
        assert "Only the people named in MENTORBOT_ADMINS" in str(reply)
        assert [(p.display_name, p.email) for p in await teams.rows(Person)] == [("Mallory", None)]


async def test_with_a_tenant_id_the_organisations_addresses_are_believed(engine, clock) -> None:
    settings = teams_settings(admins="ada@example.com")  # single-tenant: TENANT
    async with teams_app(engine, clock, settings=settings) as teams:
        [reply] = await teams.say("ada", 'program create "Demo"')
        assert "Created the program" in str(reply)
        ada = next(p for p in await teams.rows(Person) if p.display_name == "Ada Lovelace")
        assert ada.email == "ada@example.com"
