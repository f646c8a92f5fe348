"""Admin of the voting app, one module per subject; importing them registers them."""

from voting.admin import awards, entries, fraud, leaderboards, votes  # noqa: F401
