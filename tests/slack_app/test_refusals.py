"""A command that is wrong, incomplete or not allowed gets a short private explanation
with the correct form, and changes nothing."""

from __future__ import annotations

import pytest
from fakes.slack_harness import refused

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def demo(unchanged_demo):
    """Nothing here changes anything (each test checks): one demo serves them all."""
    return unchanged_demo


KINDS = "missed-preparation, missed-meeting, confidentiality, mismatch, conduct, other"
CONCERN_FORM = "concern &lt;kind&gt; [@partner] [what happened]"
NOT_A_MANAGER = "Only a program's managers can do that, and you don't manage a program."


@pytest.mark.parametrize(
    ("user", "text", "problem", "form"),
    [
        (
            "UADA",
            "frobnicate now",
            "I don't know the command “frobnicate”. Type `help` to see what I can do.",
            None,
        ),
        ("UADA", "help me", "`help` takes nothing after it.", "help"),
        (
            "UADA",
            "program",
            "To create a program, give it a name in quotes.",
            'program create "&lt;name&gt;" [purpose "&lt;text&gt;"]',
        ),
        (
            "UADA",
            'program create "Other" colour "red"',
            'After the name, only `purpose "&lt;text&gt;"` may follow.',
            'program create "&lt;name&gt;" [purpose "&lt;text&gt;"]',
        ),
        (
            "UADA",
            'program create "Unclosed',
            "A quotation mark is not closed.",
            'program create "&lt;name&gt;" [purpose "&lt;text&gt;"]',
        ),
        (
            "UADA",
            "managers",
            "Say `managers add` or `managers remove`.",
            'managers add @user [backup] [program "&lt;name&gt;"]',
        ),
        (
            "UADA",
            "managers add",
            "Name the person with an @mention or an e-mail address.",
            'managers add @user [backup] [program "&lt;name&gt;"]',
        ),
        (
            "UADA",
            "managers add <@ULENA|lena> deputy",
            "There is something extra at the end.",
            'managers add @user [backup] [program "&lt;name&gt;"]',
        ),
        (
            "UADA",
            "managers remove <@UMAX|max> program",
            "`program` needs a name in quotes.",
            'managers remove @user [program "&lt;name&gt;"]',
        ),
        (
            "UADA",
            "enrol <@ULENA|lena>",
            "Name one person and their role.",
            'enrol @user mentor|mentee [program "&lt;name&gt;"]',
        ),
        (
            "UADA",
            "enrol <@ULENA|lena> boss",
            "The role is `mentor` or `mentee`.",
            'enrol @user mentor|mentee [program "&lt;name&gt;"]',
        ),
        (
            # A mention token typed by a person is stripped: it names nobody.
            "UADA",
            "enrol \ue000ULENA|lena\ue001 mentor",
            "Name one person and their role.",
            'enrol @user mentor|mentee [program "&lt;name&gt;"]',
        ),
        (
            "UADA",
            "enrol @lena mentor",
            "I don't know who @lena is. Mention them so the name turns into a link, "
            "or use their e-mail address.",
            None,
        ),
        (
            "UADA",
            'enrol <@ULENA|lena> mentor program "Nope"',
            "You don't manage a program called “Nope”.",
            None,
        ),
        (
            "UADA",
            "pair <@UOMAR|omar>",
            "Name the mentor, then the mentee.",
            'pair @mentor @mentee [program "&lt;name&gt;"]',
        ),
        (
            "UADA",
            "pair <@UOMAR|omar> <@UOMAR|omar>",
            "A person cannot mentor themselves.",
            'pair @mentor @mentee [program "&lt;name&gt;"]',
        ),
        (
            "UADA",
            "status now",
            "`status` takes only a program.",
            'status [program "&lt;name&gt;"]',
        ),
        ("UOMAR", "concern", f"Say what kind of concern it is: {KINDS}.", CONCERN_FORM),
        ("UOMAR", "concern grumpy", f"The kind of concern is one of: {KINDS}.", CONCERN_FORM),
        (
            "UOMAR",
            "concern other " + "x" * 2001,
            "Please keep it to 2000 characters or fewer.",
            CONCERN_FORM,
        ),
        (
            "UOMAR",
            "concern other <@UMAX|max> he is rude",
            "You are not in a pair with that person.",
            CONCERN_FORM,
        ),
        (
            "ULENA",
            "concern other it is all wrong",
            "You are not in a mentoring pair, so there is no pair to raise a concern about. "
            "If something is wrong, contact your program manager directly.",
            None,
        ),
        ("USAM", "enrol <@ULENA|lena> mentor", NOT_A_MANAGER, None),
        ("USAM", "pair <@UOMAR> <@USAM>", NOT_A_MANAGER, None),
        ("USAM", "managers add <@USAM>", NOT_A_MANAGER, None),
        ("USAM", "managers remove <@UADA>", NOT_A_MANAGER, None),
        ("USAM", "status", NOT_A_MANAGER, None),
        (
            "UOMAR",
            'program create "Mine"',
            "Only the people named in MENTORBOT_ADMINS can create programs. "
            "Ask whoever runs mentorbot here to add you.",
            None,
        ),
    ],
)
async def test_refused_privately_and_nothing_changes(demo, user, text, problem, form) -> None:
    before = await demo.counts()
    posted = len(demo.fake.calls_to("chat.postMessage"))
    reply = await demo.command(user, text, response_id="refusal")
    assert reply.status == 200
    assert reply.json == refused(problem, form)
    assert await demo.counts() == before
    assert await demo.deliver() == 0
    assert len(demo.fake.calls_to("chat.postMessage")) == posted
    assert demo.fake.responses == []
