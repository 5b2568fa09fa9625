"""A terminal stand-in for a chat platform: act as any person of a demo program."""
