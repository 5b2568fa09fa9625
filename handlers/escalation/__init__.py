"""The escalation policy: a concern not acknowledged in time is walked up the program's
levels (its managers, then its backup managers), like an on-call escalation policy.

policy.py     the arithmetic: severity, deadlines, which step follows which (pure)
durations.py  `30m`, `1h`, `2d` read and written back (pure)
start.py      the walk begun, moved on or stopped (its due items)
walk.py       the steps as due work, a batch of concerns at a time
world.py      what a batch of steps needs to know, read in a fixed number of queries
delivery.py   a concern's copy that could not be delivered: the walk looks again at once
settings.py   `program set ack-deadline …`, `program set escalation …`

The package imports none of them here, so that the parser may import the pure ones
without pulling in the use cases."""
