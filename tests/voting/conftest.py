"""Fixtures of the voting tests."""

from tests.voting.fixtures_api import (  # noqa: F401
    api,
    api_env,
    campaign,
    entry,
    voter,
    voter_api,
)
