import pytest
from django.core.cache import cache

from tests.factories import AmbassadorFactory, SchoolFactory, UserFactory
from tests.redis_server import redis_cache, redis_url  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts on an empty shared cache: the public reads' versions and pages,
    throttle buckets and the slug memo of one test must not answer in the next, where a
    flushed database hands out the same ids again."""
    from voting.selectors.public import _slug_memo

    cache.clear()
    _slug_memo.clear()


@pytest.fixture
def ops_user(db):
    """An operations staff member: in the "staff" group, not a superuser."""
    return UserFactory(username="ops", role="staff")


@pytest.fixture
def ops_client(client, ops_user):
    client.force_login(ops_user)
    return client


@pytest.fixture
def school_a(db):
    return SchoolFactory(name="复旦大学", slug="fudan")


@pytest.fixture
def school_b(db):
    return SchoolFactory(name="同济大学", slug="tongji")


@pytest.fixture
def ambassador_user(db, school_a):
    """An intern of school A with an admin login."""
    user = UserFactory(username="intern-a", role="ambassador")
    AmbassadorFactory(school=school_a, user=user, name="张三")
    return user


@pytest.fixture
def ambassador_client(client, ambassador_user):
    client.force_login(ambassador_user)
    return client
