"""Private check-ins: each member of each pair asked, on the program's cadence, how it is
going; an answer that signals trouble becomes a concern at once. The answers are the
member's own: never shown to their partner; to the managers only through a concern (the
words only if shared), and as the at-risk flags of `status`.

Submodules are imported by name (answers, prompts, answering, requests, flags): this
package imports none of them itself, since the concern view reads `answers`."""
