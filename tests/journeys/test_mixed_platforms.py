"""One program, people on Slack and on Teams, one outbox. A person is the same person on
both platforms by e-mail address (Slack's users.info, Teams' get_member) and is reached on the
platform they used last. Set up as a real admin would: the Teams people write to the bot
first, then the Slack admin names them by e-mail address."""

from __future__ import annotations

import re

import pytest
from fakes.mixed_harness import mixed_app
from fakes.teams_harness import (
    ACKNOWLEDGE,
    TeamsHarness,
    bold,
    concern_card,
    concern_message,
    content,
    plain,
    rich,
)

from storage.models import Identity, OutboxMessage, Person, Subject

RAISED = "Mon 23 Nov 2026, 09:00 UTC"  # as Max (no time zone from Teams) reads it
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
SETUP = [
    'program create "Mixed"',
    "managers add max@example.com",
    "enrol <@UOMAR|omar> mentor",
    "enrol sam@example.com mentee",
    "pair <@UOMAR|omar> sam@example.com confirm",
]


@pytest.fixture
async def mixed(engine, clock):
    """Ada (Slack, admin) runs "Mixed": she and Max (Teams) manage it; Omar (Slack) mentors
    Sam (Teams). The greetings are delivered, each on its own platform."""
    async with mixed_app(engine, clock) as (slack, teams):
        for who in ("max", "sam"):
            assert len(await teams.say(who, "help")) == 1
        for line in SETUP:
            reply = await slack.command("UADA", line)
            assert reply.status == 200 and "blocks" in reply.json, (line, reply)
        yield slack, teams


def continued_into(teams: TeamsHarness, mark: int, conversation: str) -> list:
    """Proactive sends since `mark` into a Teams conversation (continue_conversation)."""
    return [
        c
        for c in teams.since(mark, "reply_to_activity")
        if re.fullmatch(f"/v3/conversations/{conversation}/activities/{UUID}", c.path)
    ]


async def test_people_are_one_person_across_platforms_by_email(mixed) -> None:
    slack, teams = mixed
    people = {p.email: p for p in await teams.rows(Person)}
    assert set(people) == {
        "ada@example.com",
        "omar@example.com",
        "max@example.com",
        "sam@example.com",
    }
    identities = {(i.platform, i.external_id): i.person_id for i in await teams.rows(Identity)}
    assert identities == {
        ("teams", "29:1max"): people["max@example.com"].id,
        ("teams", "29:1sam"): people["sam@example.com"].id,
        ("slack", "UADA"): people["ada@example.com"].id,
        ("slack", "UOMAR"): people["omar@example.com"].id,
    }
    # Slack found nobody for max@ and sam@: they were known from Teams already.
    assert slack.fake.calls_to("users.lookupByEmail") == []


async def test_greetings_go_out_on_each_persons_platform(engine, clock) -> None:
    async with mixed_app(engine, clock) as (slack, teams):
        for who in ("max", "sam"):
            await teams.say(who, "help")
        for line in SETUP:
            await slack.command("UADA", line)
        mark = len(teams.connector.calls)
        assert await slack.deliver() == 4  # each one's briefing, then each one's greeting
        assert {c.args["text"] for c in slack.dms_to("UOMAR")} == {
            "Your role as a mentor in Mixed: please read.",
            "You have a new mentoring partner in Mixed.",
        }
        # Sent in one dispatcher round, concurrently: they may arrive in either order.
        to_sam_by_summary = {
            content(c.body)["summary"]: c for c in continued_into(teams, mark, "a%3A1sam")
        }
        assert set(to_sam_by_summary) == {
            "Your role as a mentee in Mixed: please read.",
            "You have a new mentoring partner in Mixed.",
        }
        to_sam = to_sam_by_summary["You have a new mentoring partner in Mixed."]
        assert content(to_sam.body)["text"].startswith(
            "Welcome to your mentoring pair\n\nYour mentor is Omar in Mixed."
        )


async def test_a_slack_mentors_concern_reaches_a_teams_manager(mixed, clock) -> None:
    slack, teams = mixed
    await slack.deliver()
    reply = await slack.command("UOMAR", 'concern missed-meeting "Sam never turns up"')
    assert reply.json["text"] == "Your concern was recorded."
    mark = len(teams.connector.calls)
    assert await slack.deliver() == 2

    # Max, on Teams: the card, through the conversation he opened by writing to the bot.
    [to_max] = continued_into(teams, mark, "a%3A1max")
    assert teams.since(mark, "create_conversation") == []
    expected_card = concern_card(
        1,
        words="Sam never turns up",
        raised=RAISED,
        mentor="Omar",
        mentee="Sam Cooke",
        reporter="Omar",
        program="Mixed",
    )
    assert content(to_max.body) == concern_message(expected_card, program="Mixed")
    # Ada, on Slack: chat.postMessage to her user id. Sam (the other member) hears nothing.
    [to_ada] = slack.dms_to("UADA")
    assert to_ada.args["text"] == "Concern: missed meeting in Mixed. Open mentorbot to respond."
    assert continued_into(teams, mark, "a%3A1sam") == []

    # Max acknowledges on Teams: his card is updated in place, and Ada's Slack message too.
    clock.advance(300)
    [answer] = await teams.click("max", ACKNOWLEDGE, "1", card_id=to_max.answer["id"])
    assert content(answer) == plain(
        "You acknowledged the concern. The other managers can see that you have it.\n\n"
        "Omar, who raised it, has been told that you acknowledged it.",
        "You acknowledged the concern.",
    )
    mark = len(teams.connector.calls)
    assert await slack.deliver() == 3  # both copies, and Omar told on Slack
    [put] = teams.since(mark, "update_activity")
    assert put.activity_id == to_max.answer["id"]
    acknowledged = concern_card(
        1,
        words="Sam never turns up",
        raised=RAISED,
        mentor="Omar",
        mentee="Sam Cooke",
        reporter="Omar",
        program="Mixed",
        progress=[rich(bold("Acknowledged by you"), " · Mon 23 Nov 2026, 09:05 UTC")],
        buttons=("concern.resolve",),
    )
    updated = {k: v for k, v in content(put.body).items() if k != "id"}
    assert updated == concern_message(acknowledged, program="Mixed")
    [update] = slack.updates()
    channel, ts = slack.posted_ref("UADA")
    assert (update.args["channel"], update.args["ts"]) == (channel, ts)
    assert "Max Planck" in str(update.args["blocks"])
    assert slack.dms_to("UOMAR")[-1].args["text"] == "Your concern was acknowledged."


async def test_a_teams_mentees_concern_reaches_a_slack_manager(mixed) -> None:
    slack, teams = mixed
    await slack.deliver()
    # Teams sends typed angle brackets as entities: the words are "We <b>never</b> agree".
    said = teams.message("sam", 'concern mismatch "We &lt;b&gt;never&lt;/b&gt; agree"')
    assert await teams.send(said) == []  # the receipt goes through the outbox too
    mark = len(teams.connector.calls)
    assert await slack.deliver() == 3  # one dispatcher: Sam's receipt, Ada's DM, Max's card
    [receipt] = continued_into(teams, mark, "a%3A1sam")
    assert content(receipt.body)["summary"] == "Your concern was recorded."

    [to_ada] = slack.dms_to("UADA")
    assert to_ada.args["text"] == "Concern: mismatch in Mixed. Open mentorbot to respond."
    assert "We &lt;b&gt;never&lt;/b&gt; agree" in str(to_ada.args["blocks"])  # escaped words
    assert slack.dms_to("UOMAR")[2:] == []  # his briefing and greeting, nothing more
    [to_max] = continued_into(teams, mark, "a%3A1max")
    assert content(to_max.body) == concern_message(
        concern_card(
            1,
            kind="mismatch",
            words="We <b>never</b> agree",
            raised=RAISED,
            mentor="Omar",
            mentee="Sam Cooke",
            reporter="Sam Cooke",
            program="Mixed",
        ),
        kind="mismatch",
        program="Mixed",
    )

    # Ada acknowledges on Slack: Max's Teams card is updated in place.
    channel, ts = slack.posted_ref("UADA")
    reply = await slack.click(
        "UADA", ACKNOWLEDGE, "1", channel=channel, message_ts=ts, response_id="ada-ack"
    )
    assert (reply.status, reply.text) == (200, "")  # acked; the answer goes to response_url
    mark = len(teams.connector.calls)
    assert await slack.deliver() == 4  # both copies, Sam told on Teams, Ada's private answer
    assert slack.fake.responses_to("ada-ack")[0]["text"] == "You acknowledged the concern."
    [put] = teams.since(mark, "update_activity")
    [told] = continued_into(teams, mark, "a%3A1sam")
    assert content(told.body)["summary"] == "Your concern was acknowledged."
    assert put.path == "/v3/conversations/a%3A1max/activities/" + to_max.answer["id"].replace(
        ":", "%3A"
    )
    card = put.body["attachments"][0]["content"]
    assert card["body"][-1] == rich(
        bold("Acknowledged by"), " ", bold("Ada"), " · Mon 23 Nov 2026, 09:00 UTC"
    )
    assert [a["title"] for a in card["actions"]] == ["Resolve"]


async def test_a_person_on_both_platforms_is_reached_where_they_were_last(mixed, clock) -> None:
    slack, teams = mixed
    await slack.deliver()
    # Lena writes on Teams, then Ada makes her a manager by her Slack mention.
    await teams.say("lena", "help")
    reply = await slack.command("UADA", "managers add <@ULENA|lena>")
    assert reply.json["blocks"][0]["text"]["text"] == "<@ULENA> is now a manager of *Mixed*."
    lena = next(p for p in await teams.rows(Person) if p.email == "lena@example.com")
    assert {i.platform for i in await teams.rows(Identity) if i.person_id == lena.id} == {
        "slack",
        "teams",
    }

    async def lenas_concern_dm(words: str) -> str:
        await slack.command("UOMAR", f'concern other "{words}"')
        mark, slack_calls = len(teams.connector.calls), len(slack.dms_to("ULENA"))
        assert await slack.deliver() == 3  # Ada, Max, Lena
        on_teams = continued_into(teams, mark, "a%3A1lena")
        on_slack = slack.dms_to("ULENA")[slack_calls:]
        assert len(on_teams) + len(on_slack) == 1
        return "teams" if on_teams else "slack"

    assert await lenas_concern_dm("first") == "teams"  # she has only written on Teams
    clock.advance(60)
    await slack.command("ULENA", "help")
    assert await lenas_concern_dm("second") == "slack"
    clock.advance(60)
    await teams.say("lena", "status")
    assert await lenas_concern_dm("third") == "teams"
    rows = [r for r in await teams.rows(OutboxMessage) if r.recipient_id == lena.id]
    concern_dms = [r for r in rows if r.subject == Subject.CONCERN]
    assert [r.platform for r in concern_dms] == ["teams", "slack", "teams"]
    # Her Teams answers came through the outbox, into the conversation she wrote in.
    assert [r.platform for r in rows if r.dedupe_key.startswith("answer:")] == ["teams", "teams"]


async def test_a_teams_person_nobody_has_met_cannot_be_named_from_slack(mixed) -> None:
    slack, _ = mixed
    # Lena has not written to the bot on Teams, and Slack's lookup by e-mail is all Slack has.
    reply = await slack.command("UADA", "enrol lena.teams@example.com mentee")
    [problem] = reply.json["blocks"]
    assert problem["text"]["text"] == (
        "I can't find anyone with the address lena.teams@example.com here."
    )
