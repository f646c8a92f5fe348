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


def test_admin_replicate_action_asks_then_copies(ops_client, original):
    from django.urls import reverse

    target = SchoolFactory(slug="zju")
    url = reverse("admin:campaigns_pilot_changelist")
    ask = ops_client.post(url, {"action": "replicate", "_selected_action": [original.pk]})
    assert ask.status_code == 200
    assert ask.templates[0].name == "admin/campaigns/pilot/replicate.html"
    assert original.school not in ask.context["form"].fields["school"].queryset
    assert Pilot.objects.count() == 1

    step_one = {
        "action": "replicate",
        "apply": "1",
        "_selected_action": [original.pk],
        "school": target.pk,
        "starts_on": "2027-03-01",
        "name": "浙大春季试点",
    }
    # First the school: then the copied campaigns' titles are asked, nothing written yet.
    titles = ops_client.post(url, step_one)
    assert titles.status_code == 200 and titles.context["form"].asks_titles
    assert Pilot.objects.count() == 1
    data = {field.html_name: field.value() for field in titles.context["form"]}
    done = ops_client.post(url, {**step_one, **data})
    copy = Pilot.objects.get(school=target)
    assert done.status_code == 302 and done["Location"].endswith(f"/{copy.pk}/change/")
    assert copy.replicated_from == original and copy.name == "浙大春季试点"
    assert copy.campaigns.count() == 2


def test_admin_replicate_refuses_a_taken_name(ops_client, original):
    from django.urls import reverse

    url = reverse("admin:campaigns_pilot_changelist")
    target = SchoolFactory(slug="zju")
    PilotFactory(school=target, name="taken")
    response = ops_client.post(
        url,
        {
            "action": "replicate",
            "apply": "1",
            "_selected_action": [original.pk],
            "school": target.pk,
            "starts_on": "2027-03-01",
            "name": "taken",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert Pilot.objects.filter(replicated_from=original).count() == 0


def test_interns_are_not_offered_replication(ambassador_client, original):
    from django.urls import reverse

    response = ambassador_client.get(reverse("admin:campaigns_pilot_changelist"))
    form = response.context["action_form"]  # None when no action is allowed at all
    assert form is None or "replicate" not in dict(form.fields["action"].choices)
    assert 'value="replicate"' not in response.content.decode()
