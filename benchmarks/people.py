"""Who is in the load benchmark's program: two managers (the first an admin, who creates
it) and PAIRS mentor-mentee pairs, all known to the fake Slack's users.info. Slack ids are
upper-case letters and digits, as Slack's are."""

from __future__ import annotations

ADMIN = "UADA"
MANAGERS = (ADMIN, "UMAX")
PAIRS = 30
MENTORS = tuple(f"UR{i:03d}" for i in range(PAIRS))
MENTEES = tuple(f"UE{i:03d}" for i in range(PAIRS))
MEMBERS = MENTORS + MENTEES
EVERYONE = MANAGERS + MEMBERS
SIGNING_SECRET = "bench-signing-secret-0123456789ab"
BOT_TOKEN = "xoxb-bench"


def setup_steps() -> list[list[tuple[str, str]]]:
    """(user, text) of the commands that set the program up, in steps: the commands of a
    step may run at once. The program, its second manager, everyone enrolled, paired."""
    return [
        [(ADMIN, 'program create "Bench"')],
        [(ADMIN, f"managers add <@{MANAGERS[1]}>")],
        [(ADMIN, f"enrol <@{mentor}> mentor") for mentor in MENTORS]
        + [(ADMIN, f"enrol <@{mentee}> mentee") for mentee in MENTEES],
        [
            (ADMIN, f"pair <@{mentor}> <@{mentee}>")
            for mentor, mentee in zip(MENTORS, MENTEES, strict=True)
        ],
    ]
