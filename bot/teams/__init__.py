"""Microsoft Teams, through botbuilder. botbuilder-python is archived (its successor is the
Microsoft 365 Agents SDK): everything that knows about it stays in this folder."""
