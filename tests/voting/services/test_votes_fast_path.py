"""The API's one-statement vote (``_vote_insert``) is never looser than ``vote_cast``.

Every vote the policy refuses must insert nothing on the fast path, so that the long
path decides it and says why; a vote the policy allows goes through in one statement
with the same slots and ``remaining_today`` as the long path would give. Runs on both
databases of the suite (SQLite by default, PostgreSQL in CI's second pass).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Round
from core.errors import NotFound
from tests.factories import CampaignFactory, EntryFactory, SchoolFactory, VoterFactory
from voting import errors
from voting.models import Entry, Vote, Voter
from voting.services.votes import _vote_insert, vote_cast, vote_cast_by_id, vote_invalidate

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory(slug="fast-lane")


@pytest.fixture
def entries(campaign):
    return EntryFactory.create_batch(4, campaign=campaign)


@pytest.fixture
def voter():
    return VoterFactory()


def _fast(voter, entry, *, slug=None, at=None):
    return _vote_insert(
        voter_id=voter.pk,
        slug=slug or entry.campaign.slug,
        entry_id=entry.pk,
        at=at or timezone.now(),
        ip="203.0.113.5",
        user_agent="UA",
        device_id="dev",
    )


def _by_id(voter, entry, slug=None):
    return vote_cast_by_id(
        voter_id=voter.pk,
        slug=slug or entry.campaign.slug,
        entry_id=entry.pk,
        ip="203.0.113.5",
        user_agent="UA",
        device_id="dev",
    )


def test_an_allowed_vote_is_one_statement_with_the_long_paths_answer(voter, entries):
    results = [_fast(voter, entry) for entry in entries[:3]]
    assert [r.remaining_today for r in results] == [2, 1, 0]
    votes = Vote.objects.order_by("pk")
    assert [v.pk for v in votes] == [r.vote_id for r in results]
    assert [(v.day_slot, v.entry_slot) for v in votes] == [(1, 1), (2, 1), (3, 1)]
    first = votes[0]
    assert (first.ip, first.user_agent, first.device_id, first.status) == (
        "203.0.113.5",
        "UA",
        "dev",
        Vote.Status.VALID,
    )
    assert first.day == timezone.localdate(first.cast_at)
    # The first vote attributed the direct voter, in the same transaction.
    assert Voter.objects.get(pk=voter.pk).attributed_campaign_id == entries[0].campaign_id


def test_the_local_day_is_shanghais(voter, entries):
    # 23:30 UTC is already the next day in Asia/Shanghai.
    at = timezone.now().replace(hour=23, minute=30, second=0, microsecond=0) - timedelta(days=1)
    Campaign.objects.filter(pk=entries[0].campaign_id).update(
        voting_starts_at=at - timedelta(days=1)
    )
    result = _fast(voter, entries[0], at=at)
    assert Vote.objects.get(pk=result.vote_id).day == (at + timedelta(hours=8)).date()


def _closed(campaign, entries, voter):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    return voter, entries[0], errors.CampaignClosed


def _draft(campaign, entries, voter):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    return voter, entries[0], NotFound  # a draft campaign is not public


def _not_started(campaign, entries, voter):
    Campaign.objects.filter(pk=campaign.pk).update(
        voting_starts_at=timezone.now() + timedelta(hours=1)
    )
    return voter, entries[0], errors.CampaignClosed


def _ended(campaign, entries, voter):
    Campaign.objects.filter(pk=campaign.pk).update(
        voting_ends_at=timezone.now() - timedelta(seconds=1)
    )
    return voter, entries[0], errors.CampaignClosed


def _round_not_started(campaign, entries, voter):
    later = Round.objects.create(
        campaign=campaign,
        number=2,
        topic="夜跑",
        voting_starts_at=timezone.now() + timedelta(hours=2),
    )
    return voter, EntryFactory(campaign=campaign, round=later), errors.CampaignClosed


def _round_ended(campaign, entries, voter):
    done = Round.objects.create(
        campaign=campaign,
        number=2,
        topic="晨跑",
        voting_ends_at=timezone.now() - timedelta(hours=1),
    )
    return voter, EntryFactory(campaign=campaign, round=done), errors.CampaignClosed


def _pending(campaign, entries, voter):
    return (
        voter,
        EntryFactory(campaign=campaign, status=Entry.Status.PENDING),
        (errors.EntryNotVotable),
    )


def _rejected(campaign, entries, voter):
    Entry.objects.filter(pk=entries[0].pk).update(status=Entry.Status.REJECTED)
    return voter, entries[0], errors.EntryNotVotable


def _other_school(campaign, entries, voter):
    Campaign.objects.filter(pk=campaign.pk).update(school_voters_only=True)
    return VoterFactory(school=SchoolFactory()), entries[0], errors.SchoolNotEligible


def _no_school(campaign, entries, voter):
    Campaign.objects.filter(pk=campaign.pk).update(school_voters_only=True)
    return VoterFactory(school=None), entries[0], errors.SchoolNotEligible


def _unverified(campaign, entries, voter):
    return VoterFactory(verified_at=None), entries[0], errors.VoterNotVerified


def _daily_limit(campaign, entries, voter):
    for entry in entries[:3]:
        vote_cast(voter=voter, entry=entry)
    return voter, entries[3], errors.DailyLimitReached


def _entry_limit(campaign, entries, voter):
    vote_cast(voter=voter, entry=entries[0])
    return voter, entries[0], errors.EntryLimitReached


def _lowered_limit(campaign, entries, voter):
    for entry in entries[:2]:
        vote_cast(voter=voter, entry=entry)
    Campaign.objects.filter(pk=campaign.pk).update(votes_per_day=2)
    return voter, entries[2], errors.DailyLimitReached


def _entry_of_another_campaign(campaign, entries, voter):
    return voter, EntryFactory(), NotFound


@pytest.mark.parametrize(
    "scenario",
    [
        _closed,
        _draft,
        _not_started,
        _ended,
        _round_not_started,
        _round_ended,
        _pending,
        _rejected,
        _other_school,
        _no_school,
        _unverified,
        _daily_limit,
        _entry_limit,
        _lowered_limit,
        _entry_of_another_campaign,
    ],
)
def test_a_refused_vote_inserts_nothing_and_the_long_path_says_why(
    scenario, campaign, entries, voter
):
    voter, entry, error = scenario(campaign, entries, voter)
    before = Vote.objects.count()
    # The slug of the campaign under test, also for the entry of another campaign.
    assert _fast(voter, entry, slug=campaign.slug) is None
    assert Vote.objects.count() == before
    with pytest.raises(error):
        _by_id(voter, entry, slug=campaign.slug)
    assert Vote.objects.count() == before


def test_the_same_school_votes_in_a_school_only_campaign(campaign, entries):
    Campaign.objects.filter(pk=campaign.pk).update(school_voters_only=True)
    assert _fast(VoterFactory(school=campaign.pilot.school), entries[0]) is not None


def test_a_slot_freed_by_invalidation_is_found_by_the_long_path(voter, entries, ops_user):
    Campaign.objects.filter(pk=entries[0].campaign_id).update(votes_per_day=2)
    first, second = (_by_id(voter, entry) for entry in entries[:2])
    vote_invalidate(vote_ids=[first.vote_id], actor=ops_user, reason="test")
    # One valid vote (slot 2): the next slot by count is 2, taken. The fast path inserts
    # nothing, the long path takes the freed slot 1.
    assert _fast(voter, entries[2]) is None
    result = _by_id(voter, entries[2])
    assert result.remaining_today == 0
    assert Vote.objects.get(pk=result.vote_id).day_slot == 1
    with pytest.raises(errors.DailyLimitReached):
        _by_id(voter, entries[3])
    assert Vote.objects.filter(status=Vote.Status.VALID).count() == 2
