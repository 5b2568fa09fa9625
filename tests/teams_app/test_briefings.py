"""A role briefing on Teams: an Adaptive Card with an "I've read it" Action.Submit,
confirmed by the submit of the person briefed, and updated in place."""

from __future__ import annotations

from fakes.teams_harness import (
    TeamsHarness,
    adaptive_card,
    bold,
    card_message,
    content,
    heading,
    rich,
    run,
    small,
    submit,
)

from storage.models import Membership

SUMMARY = "Your role as a mentee in Demo: please read."
BODY = [
    heading("Your briefing as a mentee"),
    rich("You are enrolled as a mentee in ", bold("Demo"), "."),
    rich("The program's purpose: ", "Help new graduates settle in"),
    rich(
        "As a mentee, you own the agenda and the goals: decide what you want to work on, "
        "prepare for each meeting, and keep them going."
    ),
    rich(
        "What you and your partner say to each other stays between you. If you raise a "
        "concern, only the program's managers see it: I never tell your partner."
    ),
    rich(
        "If something is not working, tell the program manager privately at any time: ",
        run("concern <kind> [what happened]", fontType="Monospace"),
        ".",
    ),
]


async def test_the_briefing_card_and_its_submit(teams: TeamsHarness) -> None:
    for who in ("ada", "sam"):
        await teams.install(who)
    await teams.say("ada", 'program create "Demo" purpose "Help new graduates settle in"')
    mark = len(teams.connector.calls)
    await teams.say("ada", "enrol <at>Sam</at> mentee")
    await teams.deliver()
    [membership] = [m for m in await teams.rows(Membership) if m.role == "mentee"]
    value = str(membership.id)
    [card] = [c for c in teams.since(mark) if c.conversation_id == "a:1sam"]
    assert content(card.body) == card_message(
        adaptive_card(BODY, [submit("I've read it", "briefing.confirm", value, "positive")]),
        SUMMARY,
    )

    mark = len(teams.connector.calls)
    await teams.click("sam", "briefing.confirm", value)
    await teams.deliver()
    [confirmed] = [m for m in await teams.rows(Membership) if m.role == "mentee"]
    assert confirmed.briefing_confirmed_at is not None
    to_sam = [c for c in teams.since(mark) if c.conversation_id == "a:1sam"]
    answers = [content(c.body) for c in to_sam if c.method != "PUT"]
    assert [a.get("text") for a in answers] == [
        "Thank you: your briefing as a mentee in Demo is confirmed."
    ]
    [update] = [c for c in to_sam if c.method == "PUT"]
    assert update.body["id"] == card.answer["id"]
    stamp = "You confirmed this on Mon 23 Nov 2026, 09:00 UTC."
    assert {k: v for k, v in content(update.body).items() if k != "id"} == card_message(
        adaptive_card([*BODY, small(stamp)], []), SUMMARY
    )


async def test_only_the_person_briefed_can_confirm(teams: TeamsHarness) -> None:
    for who in ("ada", "sam"):
        await teams.install(who)
    await teams.say("ada", 'program create "Demo"')
    await teams.say("ada", "enrol <at>Sam</at> mentee")
    [membership] = [m for m in await teams.rows(Membership) if m.role == "mentee"]
    replies = await teams.click("ada", "briefing.confirm", str(membership.id))
    assert [r.get("text") for r in replies] == ["That button is for someone else's briefing."]
    [still] = [m for m in await teams.rows(Membership) if m.role == "mentee"]
    assert still.briefing_confirmed_at is None
