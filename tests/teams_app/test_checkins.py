"""A check-in on Teams: the prompt's button answers with the form as an Adaptive Card
(Input.ChoiceSet, Input.Text, Input.Toggle); the card's submit raises the concern, which
reaches the manager with the choices only; nothing of it reaches the partner."""

from __future__ import annotations

import json
from typing import Any

from fakes.teams_harness import TeamsHarness, content

from handlers import due_work

DAY = 24 * 3600
WORDS = "Omar cancelled again and I feel stuck"


def texts(node: Any) -> list[str]:
    """Every text of a card, in order: what a reader sees."""
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return own + [t for k, v in node.items() if k != "text" for t in texts(v)]
    if isinstance(node, list):
        return [t for item in node for t in texts(item)]
    return []


async def test_card_submit_raises_the_concern(demo: TeamsHarness, clock) -> None:
    mark = len(demo.connector.calls)
    clock.advance(14 * DAY)
    await due_work.run_due(demo.runtime.deps)
    while await demo.deliver():
        pass
    sam, omar, ada = demo.person("sam"), demo.person("omar"), demo.person("ada")
    # Sam never confirmed his briefing: its one reminder comes in the same sweep, in
    # either order (they are matched by text).
    arrived = demo.arrived(sam.conversation_id, mark)
    assert sorted(texts(a)[0] for a in arrived) == ["Check-in", "Your briefing as a mentee"]
    [reminder] = [a for a in arrived if texts(a)[0] == "Your briefing as a mentee"]
    assert "A reminder: please read your briefing and confirm it." in texts(reminder)
    [prompt] = [a for a in arrived if texts(a)[0] == "Check-in"]
    assert "How is it going with " in texts(prompt)
    [reply] = await demo.click("sam", "checkin.answer", "2")
    card = reply["attachments"][0]["content"]
    inputs = [(i["type"], i["id"]) for i in card["body"] if i["type"].startswith("Input.")]
    assert inputs == [
        ("Input.ChoiceSet", "answer:feeling"),
        ("Input.ChoiceSet", "answer:obstacle"),
        ("Input.Text", "answer:words"),
        ("Input.Toggle", "answer:share_words"),
        ("Input.Toggle", "answer:wants_contact"),
    ]
    assert card["actions"][0]["data"] == {"action": "checkin.answer", "value": "2", "form": True}
    mark = len(demo.connector.calls)
    activity = demo.card_submit(
        "sam",
        card,
        {"answer:feeling": "struggling", "answer:obstacle": "mismatch", "answer:words": WORDS},
    )
    [receipt] = [content(r) for r in await demo.send(activity)]
    assert receipt["text"].startswith(
        "Your check-in is recorded. From your answers, I have passed a concern on at once, "
        "with the choices you made.\n\nThank you. The program managers of Demo have been told."
    )
    while await demo.deliver():
        pass
    [to_ada] = demo.arrived(ada.conversation_id, mark)
    assert to_ada["summary"] == "Concern: mismatch in Demo. Open mentorbot to respond."
    assert texts(to_ada["attachments"][0]["content"]["body"]) == [
        "Concern: mismatch",
        "Program: ",
        "Demo",
        "Pair: ",
        "Omar Khayyam",
        " (mentor) and ",
        "Sam Cooke",
        " (mentee)",
        "Raised by: ",
        "Sam Cooke",
        "Raised: ",
        "Mon 07 Dec 2026, 09:00 UTC",
        "Raised from a private check-in. ",
        "They did not ask to be contacted.",
        "How it is going: ",
        "Struggling",
        "What gets in the way: ",
        "Not a good match",
        "Contact asked for: ",
        "no",
        "They shared no words.",
        "The other member of the pair has not been told.",
    ]
    assert demo.arrived(omar.conversation_id, mark) == []
    everything = json.dumps([c.body for c in demo.connector.calls])
    assert WORDS not in everything
