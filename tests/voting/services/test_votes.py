"""The vote service applies every rule of the vote policy (docs/vote-policy.md)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Round
from tests.factories import CampaignFactory, EntryFactory, SchoolFactory, VoterFactory
from voting import errors
from voting.models import Entry, Vote
from voting.services.votes import vote_cast, vote_invalidate

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory()


@pytest.fixture
def entries(campaign):
    return [EntryFactory(campaign=campaign) for _ in range(4)]


@pytest.fixture
def voter():
    return VoterFactory()


def test_vote_is_recorded_with_fingerprint_and_local_day(voter, entries):
    # 23:30 UTC is already the next day in Asia/Shanghai.
    at = timezone.now().replace(hour=23, minute=30, second=0, microsecond=0) - timedelta(days=1)
    result = vote_cast(
        voter=voter, entry=entries[0], at=at, ip="10.0.0.1", user_agent="UA", device_id="dev-1"
    )
    vote = Vote.objects.get()
    assert result.vote_id == vote.pk
    assert result.remaining_today == 2
    assert vote.day == (at + timedelta(hours=8)).date()
    assert (vote.ip, vote.user_agent, vote.device_id) == ("10.0.0.1", "UA", "dev-1")
    voter.refresh_from_db()
    assert voter.attributed_campaign == entries[0].campaign


def test_one_vote_per_entry_per_day_by_default(voter, entries):
    vote_cast(voter=voter, entry=entries[0])
    with pytest.raises(errors.EntryLimitReached):
        vote_cast(voter=voter, entry=entries[0])
    assert Vote.objects.count() == 1


def test_daily_limit_across_entries(voter, entries):
    remaining = [vote_cast(voter=voter, entry=e).remaining_today for e in entries[:3]]
    assert remaining == [2, 1, 0]
    with pytest.raises(errors.DailyLimitReached):
        vote_cast(voter=voter, entry=entries[3])
    assert Vote.objects.count() == 3


def test_limits_reset_on_the_next_local_day(voter, entries):
    yesterday = timezone.now() - timedelta(days=1)
    for entry in entries[:3]:
        vote_cast(voter=voter, entry=entry, at=yesterday)
    assert vote_cast(voter=voter, entry=entries[0]).remaining_today == 2


def test_custom_policy_allows_several_votes_per_entry(voter, entries, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(votes_per_entry_per_day=2, votes_per_day=2)
    entry = Entry.objects.get(pk=entries[0].pk)
    vote_cast(voter=voter, entry=entry)
    vote_cast(voter=voter, entry=entry)
    with pytest.raises(errors.DailyLimitReached):
        vote_cast(voter=voter, entry=entry)
    assert sorted(Vote.objects.values_list("entry_slot", flat=True)) == [1, 2]


def test_invalidated_vote_frees_its_slot(voter, entries, ops_user):
    vote = Vote.objects.get(pk=vote_cast(voter=voter, entry=entries[0]).vote_id)
    assert vote_invalidate(vote_ids=[vote.pk], actor=ops_user, reason="test") == 1
    vote_cast(voter=voter, entry=entries[0])
    assert Vote.objects.filter(status="valid").count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"status": Campaign.Status.DRAFT},
        {"status": Campaign.Status.CLOSED},
        {"voting_starts_at": timezone.now() + timedelta(hours=1)},
        {"voting_ends_at": timezone.now() - timedelta(minutes=1)},
    ],
)
def test_closed_campaign_refuses(voter, entries, campaign, change):
    Campaign.objects.filter(pk=campaign.pk).update(**change)
    with pytest.raises(errors.CampaignClosed):
        vote_cast(voter=voter, entry=Entry.objects.get(pk=entries[0].pk))
    assert not Vote.objects.exists()


def test_round_window_applies_to_daily_topics(voter, campaign):
    later = Round.objects.create(
        campaign=campaign,
        number=2,
        topic="夜跑最快",
        voting_starts_at=timezone.now() + timedelta(hours=2),
        voting_ends_at=timezone.now() + timedelta(days=1),
    )
    entry = EntryFactory(campaign=campaign, round=later)
    with pytest.raises(errors.CampaignClosed):
        vote_cast(voter=voter, entry=entry)


@pytest.mark.parametrize("status", ["pending", "rejected", "disqualified"])
def test_only_approved_entries(voter, campaign, status):
    entry = EntryFactory(campaign=campaign, status=status)
    with pytest.raises(errors.EntryNotVotable):
        vote_cast(voter=voter, entry=entry)


def test_only_verified_voters(entries):
    with pytest.raises(errors.VoterNotVerified):
        vote_cast(voter=VoterFactory(verified_at=None), entry=entries[0])


def test_school_only_campaign(campaign, entries):
    Campaign.objects.filter(pk=campaign.pk).update(school_voters_only=True)
    entry = Entry.objects.get(pk=entries[0].pk)
    with pytest.raises(errors.SchoolNotEligible):
        vote_cast(voter=VoterFactory(school=SchoolFactory()), entry=entry)
    with pytest.raises(errors.SchoolNotEligible):
        vote_cast(voter=VoterFactory(school=None), entry=entry)
    vote_cast(voter=VoterFactory(school=campaign.pilot.school), entry=entry)
    assert Vote.objects.count() == 1


def test_first_vote_attribution_is_set_once(voter, entries):
    other_campaign_entry = EntryFactory()
    vote_cast(voter=voter, entry=other_campaign_entry)
    vote_cast(voter=voter, entry=entries[0])
    voter.refresh_from_db()
    assert voter.attributed_campaign == other_campaign_entry.campaign


def test_invalidation_needs_a_reason(voter, entries, ops_user):
    vote = Vote.objects.get(pk=vote_cast(voter=voter, entry=entries[0]).vote_id)
    with pytest.raises(errors.DomainError):
        vote_invalidate(vote_ids=[vote.pk], actor=ops_user, reason="  ")
    vote.refresh_from_db()
    assert vote.status == "valid"
