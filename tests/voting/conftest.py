"""Fixtures of the voting tests."""

from tests.celery_worker import celery_worker  # noqa: F401
from tests.voting.fixtures_api import (  # noqa: F401
    api,
    api_env,
    campaign,
    eager_tasks,
    entry,
    voter,
    voter_api,
)
