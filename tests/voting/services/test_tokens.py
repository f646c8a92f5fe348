"""Bearer tokens of voters: one indexed lookup per request, revocation at once."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.factories import VoterFactory
from voting.checks import check_shared_cache
from voting.models import VoterToken
from voting.services.sign_in import (
    TokenIdentity,
    token_hash,
    voter_token_authenticate,
    voter_token_issue,
    voter_token_revoke,
    voter_tokens_revoke_all,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def voter():
    return VoterFactory()


def test_a_token_names_its_voter_in_one_query(voter, django_assert_num_queries):
    token = voter_token_issue(voter=voter)
    stored = VoterToken.objects.get()
    assert stored.key_hash == token_hash(token) != token  # only the hash is stored
    with django_assert_num_queries(1):
        assert voter_token_authenticate(token=token) == TokenIdentity(
            token_id=stored.pk, voter_id=voter.pk
        )


def test_unknown_tokens_are_refused(voter):
    voter_token_issue(voter=voter)
    assert voter_token_authenticate(token="no-such-token") is None


def test_sign_out_refuses_the_token_at_once(voter):
    token = voter_token_issue(voter=voter)
    assert voter_token_authenticate(token=token) is not None
    assert voter_token_revoke(token_id=VoterToken.objects.get().pk)
    assert voter_token_authenticate(token=token) is None
    assert not voter_token_revoke(token_id=VoterToken.objects.get().pk)  # once


def test_revoke_all_refuses_every_token_of_the_voter(voter):
    tokens = [voter_token_issue(voter=voter) for _ in range(3)]
    other = voter_token_issue(voter=VoterFactory())
    assert voter_tokens_revoke_all(voter_ids=[voter.pk]) == 3
    assert [voter_token_authenticate(token=t) for t in tokens] == [None, None, None]
    assert voter_token_authenticate(token=other) is not None


def test_last_use_is_written_at_most_every_five_minutes(voter, django_assert_num_queries):
    token = voter_token_issue(voter=voter)
    assert VoterToken.objects.get().last_used_at is not None  # issued is used
    four_minutes_ago = timezone.now() - timedelta(minutes=4)
    VoterToken.objects.update(last_used_at=four_minutes_ago)
    with django_assert_num_queries(1):  # fresh enough: nothing written
        voter_token_authenticate(token=token)
    assert VoterToken.objects.get().last_used_at == four_minutes_ago
    six_minutes_ago = timezone.now() - timedelta(minutes=6)
    VoterToken.objects.update(last_used_at=six_minutes_ago)
    with django_assert_num_queries(2):
        voter_token_authenticate(token=token)
    assert VoterToken.objects.get().last_used_at > six_minutes_ago


def test_deploy_check_warns_about_a_per_process_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [w.id for w in check_shared_cache()] == ["voting.W002"]
    redis = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://x"}}
    with override_settings(CACHES=redis):
        assert check_shared_cache() == []
