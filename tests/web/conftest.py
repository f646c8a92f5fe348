"""Fixtures of the student site's tests: the API tests' isolation (cache, SMS in memory,
media in a temporary folder) and a client signed in as a voter."""

import pytest

from tests.celery_worker import celery_worker  # noqa: F401
from tests.voting.fixtures_api import (  # noqa: F401
    api,
    api_env,
    campaign,
    eager_tasks,
    entry,
    voter,
)
from tests.web.helpers import sign_in_as


@pytest.fixture(autouse=True)
def _isolated(api_env):  # noqa: F811
    """Every site test gets the API tests' isolation."""


@pytest.fixture
def student(client, voter):  # noqa: F811
    """A client signed in on the site as ``voter``."""
    sign_in_as(client, voter)
    return client
