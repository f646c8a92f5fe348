"""Replicating a pilot to another school copies the plan, never the people or costs."""

from datetime import timedelta
from decimal import Decimal

import pytest

from campaigns.models import AuditLog, Campaign, Expense, Pilot, Prize, Round
from campaigns.services import pilot_replicate
from tests.factories import (
    CampaignFactory,
    EntryFactory,
    ExpenseFactory,
    PilotFactory,
    PrizeFactory,
    SchoolFactory,
    VoteFactory,
)
from voting.models import Entry, Vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def original():
    pilot = PilotFactory(
        target_max_cost_per_retained_user=Decimal("80"), target_min_d7_retention=Decimal("0.3")
    )
    contest = CampaignFactory(
        pilot=pilot, slug="best-runner", votes_per_day=5, school_voters_only=True
    )
    daily = CampaignFactory(pilot=pilot, slug="daily", kind=Campaign.Kind.DAILY_TOPIC)
    day2 = Round.objects.create(
        campaign=daily,
        number=2,
        topic="最美腹肌",
        voting_starts_at=daily.voting_starts_at,
        voting_ends_at=daily.voting_starts_at + timedelta(days=1),
    )
    PrizeFactory(campaign=contest, rank_from=1, rank_to=3)
    PrizeFactory(campaign=daily, round=day2, rank_from=1, rank_to=1, unit_cost=Decimal("50"))
    entry = EntryFactory(campaign=contest)
    VoteFactory(entry=entry)
    ExpenseFactory(pilot=pilot, campaign=contest)
    return pilot


def test_replicate_copies_plan_with_shifted_schedule(original, ops_user):
    target = SchoolFactory(slug="zju")
    starts_on = original.starts_on + timedelta(days=60)
    copy = pilot_replicate(pilot=original, school=target, starts_on=starts_on, actor=ops_user)

    assert copy.replicated_from == original and copy.school == target
    assert copy.status == Pilot.Status.PLANNED
    assert (copy.starts_on, copy.ends_on) == (starts_on, original.ends_on + timedelta(days=60))
    assert copy.target_max_cost_per_retained_user == Decimal("80")
    assert copy.target_min_d7_retention == Decimal("0.3")
    assert copy.budget == original.budget

    old_contest = original.campaigns.get(slug="best-runner")
    new_contest = copy.campaigns.get(slug="best-runner-zju")
    assert new_contest.status == Campaign.Status.DRAFT
    assert new_contest.voting_starts_at == old_contest.voting_starts_at + timedelta(days=60)
    assert (new_contest.votes_per_day, new_contest.school_voters_only) == (5, True)
    new_daily = copy.campaigns.get(slug="daily-zju")
    assert list(new_daily.rounds.values_list("number", "topic")) == [(1, ""), (2, "最美腹肌")]
    round_prize = Prize.objects.get(campaign=new_daily)
    assert round_prize.round.topic == "最美腹肌" and round_prize.unit_cost == Decimal("50")
    assert Prize.objects.filter(campaign=new_contest).count() == 1

    # Never the people, votes or costs.
    assert not Entry.objects.filter(campaign__pilot=copy).exists()
    assert not Vote.objects.filter(campaign__pilot=copy).exists()
    assert not Expense.objects.filter(pilot=copy).exists()
    log = AuditLog.objects.get(action="pilot.replicate")
    assert log.actor == ops_user and log.data["shift_days"] == 60


def test_replicating_twice_gets_fresh_slugs(original, ops_user):
    target = SchoolFactory(slug="zju")
    pilot_replicate(pilot=original, school=target, starts_on=original.starts_on, actor=ops_user)
    again = pilot_replicate(
        pilot=original, school=target, starts_on=original.starts_on, actor=ops_user, name="第二期"
    )
    assert again.name == "第二期"
    assert set(again.campaigns.values_list("slug", flat=True)) == {
        "best-runner-zju-2",
        "daily-zju-2",
    }


def test_same_name_at_same_school_is_refused_without_partial_copy(original, ops_user):
    from django.core.exceptions import ValidationError

    before = (Pilot.objects.count(), Campaign.objects.count())
    with pytest.raises(ValidationError):
        pilot_replicate(
            pilot=original, school=original.school, starts_on=original.starts_on, actor=ops_user
        )
    assert (Pilot.objects.count(), Campaign.objects.count()) == before
