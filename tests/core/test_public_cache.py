"""The per-campaign version of the public reads' cache (core/public_cache.py)."""

import pytest
from django.core.cache import cache
from django.db import transaction

from core.public_cache import (
    public_cache_bump,
    public_cache_key,
    public_cache_version,
    public_cached,
)
from core.redis_cache import redis_client


@pytest.fixture(autouse=True, params=["stack cache", "redis"])
def _empty_cache(request):
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_a_value_is_built_once_per_version(django_capture_on_commit_callbacks):
    built = []

    def build():
        built.append(1)
        return {"n": len(built)}

    assert public_cached(7, ("detail",), build) == {"n": 1}
    assert public_cached(7, ("detail",), build) == {"n": 1}
    assert public_cached(8, ("detail",), build) == {"n": 2}  # another campaign
    with django_capture_on_commit_callbacks(execute=True):
        public_cache_bump(campaign_id=7)
    assert public_cached(7, ("detail",), build) == {"n": 3}
    assert public_cached(8, ("detail",), build) == {"n": 2}  # untouched


@pytest.mark.django_db(transaction=True)
def test_the_bump_waits_for_the_commit_and_a_rollback_bumps_nothing():
    before = public_cache_version(3)
    with transaction.atomic():
        public_cache_bump(campaign_id=3)
        # A reader now would cache the old rows: the version must not move yet.
        assert public_cache_version(3) == before
    assert public_cache_version(3) == before + 1
    try:
        with transaction.atomic():
            public_cache_bump(campaign_id=3)
            raise RuntimeError
    except RuntimeError:
        pass
    assert public_cache_version(3) == before + 1


@pytest.mark.django_db
def test_an_evicted_version_comes_back_larger_so_nothing_stale_returns(
    django_capture_on_commit_callbacks,
):
    public_cached(5, ("x",), lambda: "old")
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            public_cache_bump(campaign_id=5)
    bumped = public_cache_version(5)
    cache.delete("pubcache:v:5")  # evicted
    if redis_client() is not None:
        redis_client().delete("pubcache:v:5")
    assert public_cache_version(5) > bumped  # drawn from the clock, not back to 1
    assert public_cached(5, ("x",), lambda: "new") == "new"


def test_exceptions_are_not_cached():
    def fails():
        raise LookupError

    with pytest.raises(LookupError):
        public_cached(9, ("y",), fails)
    assert public_cached(9, ("y",), lambda: "ok") == "ok"


def test_a_cached_none_is_a_value_not_a_miss():
    calls = []
    assert public_cached(4, ("none",), lambda: calls.append(1)) is None
    assert public_cached(4, ("none",), lambda: calls.append(1)) is None
    assert calls == [1]


def test_keys_differ_by_parts_and_stay_short():
    a, b = public_cache_key(1, "entries", [("page", ["2"])]), public_cache_key(1, "entries")
    assert a != b and len(public_cache_key(1, "x" * 10000)) < 80
