"""`/mentoring concern …`: every manager of the program gets a DM at once (never one who is
in the pair), the reporter a receipt, the other member of the pair nothing. People's words
reach the DM body only, escaped: no mention, no link, never in the notification text."""

from __future__ import annotations

import re

from fakes.slack_harness import (
    SlackHarness,
    actions,
    button,
    context,
    ephemeral,
    fields,
    header,
    refused,
    run_script,
    section,
)
from sqlmodel import select

from storage.db import session_factory
from storage.models import Concern

RAISED = "Mon 23 Nov 2026, 09:00 Europe/London"
KEPT_INFORMED = (
    "I will let you know when it is acknowledged and when it is resolved, and by whom. "
    "Your partner has not been told."
)
STATUS_HINT = context("To see where your concerns stand: `/mentoring concern status`")
RECEIPT = ephemeral(
    "Your concern was recorded.",
    [
        section(f"Thank you. The program managers of Demo have been told. {KEPT_INFORMED}"),
        STATUS_HINT,
    ],
)
ONE_TOLD = ephemeral(  # only one manager outside the pair
    "Your concern was recorded.",
    [
        section(f"Thank you. The program manager of Demo has been told. {KEPT_INFORMED}"),
        STATUS_HINT,
    ],
)
NOT_TOLD = context("The other member of the pair has not been told.")


def concern_dm(
    title: str,
    words_block: dict,
    concern_id: int,
    *,
    mentor: str = "UOMAR",
    mentee: str = "USAM",
    reporter: str = "UOMAR",
) -> list[dict]:
    value = str(concern_id)
    return [
        header(title),
        fields(
            "*Program*\nDemo",
            f"*Pair*\n<@{mentor}> (mentor) and <@{mentee}> (mentee)",
            f"*Raised by*\n<@{reporter}>",
            f"*Raised*\n{RAISED}",
        ),
        words_block,
        actions(
            button("Acknowledge", "concern.acknowledge", value, "primary"),
            button("Resolve", "concern.resolve", value),
        ),
        NOT_TOLD,
    ]


async def concerns(slack: SlackHarness) -> list[Concern]:
    async with session_factory(slack.runtime.engine)() as session:
        return list((await session.exec(select(Concern).order_by(Concern.id))).all())


def mrkdwn_texts(blocks: list[dict]) -> list[str]:
    texts = []
    for block in blocks:
        if "text" in block and block["text"]["type"] == "mrkdwn":
            texts.append(block["text"]["text"])
        texts += [f["text"] for f in block.get("fields", [])]
        texts += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return texts


def angle_brackets(blocks: list[dict]) -> set[str]:
    """Everything Slack would treat as a mention, a link or a special command."""
    return {m for text in mrkdwn_texts(blocks) for m in re.findall(r"<([^<>]*)>", text)}


async def test_a_concern_reaches_every_manager_at_once_and_no_one_else(demo) -> None:
    words = "Sam missed our last two meetings &amp; did not reply"  # as Slack sends `&`
    reply = await demo.command("UOMAR", f"concern missed-meeting {words}")
    assert reply.status == 200
    assert reply.json == RECEIPT
    [concern] = await concerns(demo)
    assert (concern.kind, concern.severity, concern.status) == ("missed-meeting", "normal", "open")
    assert concern.words == "Sam missed our last two meetings & did not reply"

    assert demo.fake.calls_to("chat.postMessage") == []  # in the outbox, in the same transaction
    assert await demo.deliver() == 2
    [to_ada], [to_max] = demo.dms_to("UADA"), demo.dms_to("UMAX")
    assert len(demo.fake.calls_to("chat.postMessage")) == 2  # Bea (backup), Omar, Sam: nothing
    expected = concern_dm(
        "Concern: missed meeting",
        section("&gt; Sam missed our last two meetings &amp; did not reply"),
        concern.id,
    )
    notification = "Concern: missed meeting in Demo. Open mentorbot to respond."
    for to, call in [("UADA", to_ada), ("UMAX", to_max)]:
        metadata = await demo.metadata_of(call)
        dm = {"channel": to, "text": notification, "blocks": expected, "metadata": metadata}
        assert call.args == dm
    for word in ("Sam", "missed our", "meetings", "reply", "&"):
        assert word not in notification
    assert demo.fake.responses == []  # the receipt travelled in the ack


async def test_urgent_kinds_quoted_words_and_no_words(demo) -> None:
    await run_script(
        demo,
        [
            ("USAM", "concern conduct “He shouted at me in front of the team”"),
            ("USAM", "concern MISSED_PREPARATION"),
        ],
    )
    first, second = await concerns(demo)
    assert (first.kind, first.severity, first.words) == (
        "conduct",
        "high",
        "He shouted at me in front of the team",
    )
    assert (second.kind, second.severity, second.words) == ("missed-preparation", "normal", None)
    assert await demo.deliver() == 4
    # Sent side by side: in whichever order Slack answered.
    to_max = {c.args["text"]: c.args["blocks"] for c in demo.dms_to("UMAX")}
    assert to_max == {
        "Urgent concern: conduct in Demo. Open mentorbot to respond.": concern_dm(
            "Urgent concern: conduct",
            section("&gt; He shouted at me in front of the team"),
            first.id,
            reporter="USAM",
        ),
        "Concern: missed preparation in Demo. Open mentorbot to respond.": concern_dm(
            "Concern: missed preparation",
            context("They added no words."),
            second.id,
            reporter="USAM",
        ),
    }
    assert demo.dms_to("UOMAR") == []


async def test_text_typed_literally_arrives_as_text(demo) -> None:
    # Typed literally, Slack sends `&`, `<` and `>` as entities: nothing here is a mention.
    typed = (
        "concern other Please look: &lt;!channel&gt; &lt;https://evil.example|https://good"
        ".example&gt; Tom &amp; Jerry &lt;@U999&gt; &amp;lt;"
    )
    assert (await demo.command("UOMAR", typed)).json == RECEIPT
    [concern] = await concerns(demo)
    assert concern.words == (
        "Please look: <!channel> <https://evil.example|https://good.example> "
        "Tom & Jerry <@U999> &lt;"
    )
    await demo.deliver()
    for dm in demo.dms_to("UADA") + demo.dms_to("UMAX"):
        assert dm.args["blocks"][2] == section(
            "&gt; Please look: &lt;!channel&gt; &lt;https://evil.example|https://good.example&gt;"
            " Tom &amp; Jerry &lt;@U999&gt; &amp;lt;"
        )
        assert angle_brackets(dm.args["blocks"]) == {"@UOMAR", "@USAM"}
        assert dm.args["text"] == "Concern: other in Demo. Open mentorbot to respond."


async def test_real_mentions_and_links_in_words_are_defused(demo) -> None:
    # With "Escape channels, users, and links" on, Slack sends @channel as <!channel>, a
    # link with a label as <url|label>, people as <@U…>: the words keep plain text only.
    typed = (
        "concern other Please look: <!channel> <https://evil.example|https://good.example> "
        "Tom &amp; Jerry <@U999> <@U998|mallory> <#C123|general> <!subteam^S1|@admins> <!here>"
    )
    assert (await demo.command("UOMAR", typed)).json == RECEIPT
    [concern] = await concerns(demo)
    assert concern.words == (
        "Please look: @channel https://evil.example Tom & Jerry @U999 @mallory #general "
        "@admins @here"
    )
    await demo.deliver()
    for dm in demo.dms_to("UADA") + demo.dms_to("UMAX"):
        assert dm.args["blocks"][2] == section(
            "&gt; Please look: @channel https://evil.example Tom &amp; Jerry @U999 @mallory "
            "#general @admins @here"
        )
        assert angle_brackets(dm.args["blocks"]) == {"@UOMAR", "@USAM"}
        assert "<" not in dm.args["text"]
    # The people named inside the words were not looked up or added.
    assert [c.args for c in demo.fake.calls_to("users.info")] == []
    assert (await demo.counts())["person"] == 5


async def test_a_concern_is_never_sent_to_a_manager_in_the_pair(scenario) -> None:
    slack = await scenario("manager_in_pair")  # Max manages and mentors Sam; Ada manages
    reply = await slack.command("USAM", "concern mismatch We have nothing in common")
    assert reply.json == ONE_TOLD
    assert await slack.deliver() == 1
    [to_ada] = slack.dms_to("UADA")
    [concern] = await concerns(slack)
    assert to_ada.args["blocks"] == concern_dm(
        "Concern: mismatch",
        section("&gt; We have nothing in common"),
        concern.id,
        mentor="UMAX",
        reporter="USAM",
    )
    assert slack.dms_to("UMAX") == []
    assert slack.dms_to("UBEA") == []  # a manager was left: backups are not needed

    # Max, a manager in that pair, does not learn of it from status or his App Home.
    reply = await slack.command("UMAX", "status")
    assert section("*Open concerns: 0*") in reply.json["blocks"]
    await slack.event(slack.home_event("UMAX"))
    home = slack.fake.calls_to("views.publish")[-1].args["view"]["blocks"]
    assert section("You manage *Demo*.") in home
    # Ada does.
    reply = await slack.command("UADA", "status")
    assert (
        section(
            f"*Open concerns: 1*\n• #{concern.id} mismatch · <@UMAX> &amp; <@USAM> · "
            f"raised {RAISED} · not acknowledged"
        )
        in reply.json["blocks"]
    )


async def test_backups_are_told_when_every_manager_is_in_the_pair(scenario) -> None:
    slack = await scenario("only_manager_in_pair")  # Ada, the only manager, mentors Sam
    # Sam knows Ada manages Demo: the receipt must not say "the program manager".
    assert (await slack.command("USAM", "concern other It is not working")).json == ephemeral(
        "Your concern was recorded.",
        [
            section(f"Thank you. The backup manager of Demo has been told. {KEPT_INFORMED}"),
            context(
                "No manager in your pair was told: a concern never goes to someone in the pair "
                "it is about."
            ),
            STATUS_HINT,
        ],
    )
    assert await slack.deliver() == 1
    [to_bea] = slack.dms_to("UBEA")
    [concern] = await concerns(slack)
    assert to_bea.args["blocks"] == concern_dm(
        "Concern: other",
        section("&gt; It is not working"),
        concern.id,
        mentor="UADA",
        reporter="USAM",
    )
    assert slack.dms_to("UADA") == []


async def test_with_no_one_to_tell_the_reporter_is_told_so(scenario) -> None:
    slack = await scenario("no_one_to_tell")  # Ada, the only manager, mentors Sam; no backup
    reply = await slack.command("USAM", "concern other It is not working")
    assert reply.json == ephemeral(
        "Your concern was recorded, but no one could be told yet.",
        [
            section(
                "Thank you. Your concern is recorded, but no one has been told yet: Demo has no "
                "manager outside your pair, and a concern never goes to someone in the pair it "
                "is about. Your partner has not been told."
            ),
            section(
                "A manager or backup manager added to the program later will be sent it, and I "
                "will let you know when it is acknowledged. If it cannot wait, please tell "
                "someone you trust directly, such as your HR contact or whoever runs mentorbot "
                "here."
            ),
            STATUS_HINT,
        ],
    )
    assert len(await concerns(slack)) == 1
    assert await slack.deliver() == 0


async def test_someone_in_two_pairs_names_the_partner(demo) -> None:
    await run_script(
        demo, [("UADA", "enrol <@ULENA|lena> mentee"), ("UADA", "pair <@UOMAR> <@ULENA> confirm")]
    )
    await demo.deliver()
    before = await demo.counts()
    reply = await demo.command("UOMAR", "concern missed-meeting She was late")
    assert reply.json == refused(
        "You are in more than one pair; mention the partner it is about: Sam or Lena.",
        "concern &lt;kind&gt; [@partner] [what happened]",
    )
    assert await demo.counts() == before
    reply = await demo.command("UOMAR", "concern missed-meeting <@ULENA|lena> She was late")
    assert reply.json == RECEIPT
    await demo.deliver()
    [concern] = await concerns(demo)
    assert concern.words == "She was late"
    assert demo.dms_to("UMAX")[-1].args["blocks"] == concern_dm(
        "Concern: missed meeting",
        section("&gt; She was late"),
        concern.id,
        mentee="ULENA",
    )
    assert demo.dms_to("USAM") == []
