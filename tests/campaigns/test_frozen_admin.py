"""After voting opens, every change that moves the numbers needs a reason and leaves an
audit row, wherever it is made; some are refused outright.

Before: the stand-alone Prize and Round admins changed frozen prizes without a reason or
an audit row, window and status changes were never audited, a lowered limit left valid
votes above it, a prize could point at another campaign's round, and an expense at a
campaign of another pilot.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import AuditLog, Campaign, Expense, Prize, Round
from tests.factories import CampaignFactory, PilotFactory, PrizeFactory
from tests.helpers import page_says
from tests.test_constraints import campaign_form_data

pytestmark = pytest.mark.django_db


def local_parts(value) -> tuple[str, str]:
    value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")


def prize_form(prize: Prize, **overrides) -> dict:
    data = {
        "campaign": prize.campaign_id,
        "round": prize.round_id or "",
        "name": prize.name,
        "rank_from": prize.rank_from,
        "rank_to": prize.rank_to,
        "unit_cost": prize.unit_cost,
        "quantity": prize.quantity,
        "change_reason": "",
    }
    data.update(overrides)
    return data


def test_prize_admin_change_after_opening_needs_a_reason_and_is_audited(ops_client, ops_user):
    prize = PrizeFactory(campaign=CampaignFactory(), unit_cost=Decimal("100.00"))
    url = reverse("admin:campaigns_prize_change", args=[prize.pk])
    response = ops_client.post(url, prize_form(prize, unit_cost="999.00"))
    assert response.status_code == 200
    assert page_says(response, "Voting has opened: give a reason for this change.")
    assert Prize.objects.get().unit_cost == Decimal("100.00")

    response = ops_client.post(url, prize_form(prize, unit_cost="999.00", change_reason="赞助"))
    assert response.status_code == 302
    assert Prize.objects.get().unit_cost == Decimal("999.00")
    log = AuditLog.objects.get(action="prize.change_after_opening")
    assert (log.actor, log.reason) == (ops_user, "赞助")
    assert log.data["fields"] == {"unit_cost": "999.00"}
    assert log.data["previous"] == {"unit_cost": "100.00"}


def test_prize_added_to_an_open_campaign_needs_a_reason(ops_client):
    campaign = CampaignFactory()
    data = prize_form(PrizeFactory.build(campaign=campaign))
    response = ops_client.post(reverse("admin:campaigns_prize_add"), data)
    assert response.status_code == 200 and Prize.objects.count() == 0
    data["change_reason"] = "加奖"
    assert ops_client.post(reverse("admin:campaigns_prize_add"), data).status_code == 302
    assert AuditLog.objects.get(action="prize.change_after_opening").data["added"] is True


def test_a_frozen_prize_cannot_be_deleted(ops_client):
    prize = PrizeFactory(campaign=CampaignFactory())
    response = ops_client.post(
        reverse("admin:campaigns_prize_delete", args=[prize.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Prize.objects.filter(pk=prize.pk).exists()


def test_prize_before_opening_changes_freely(ops_client):
    campaign = CampaignFactory(voting_starts_at=timezone.now() + timedelta(days=1))
    prize = PrizeFactory(campaign=campaign)
    url = reverse("admin:campaigns_prize_change", args=[prize.pk])
    assert ops_client.post(url, prize_form(prize, unit_cost="5.00")).status_code == 302
    assert not AuditLog.objects.exists()


def test_prize_on_another_campaigns_round_is_refused(ops_client):
    campaign = CampaignFactory(voting_starts_at=timezone.now() + timedelta(days=1))
    foreign_round = CampaignFactory().rounds.get()
    prize = PrizeFactory.build(campaign=campaign)
    data = prize_form(prize, round=foreign_round.pk)
    response = ops_client.post(reverse("admin:campaigns_prize_add"), data)
    assert response.status_code == 200
    assert page_says(response, "Choose one of this campaign's rounds, or none for every round.")
    assert not Prize.objects.exists()


def test_round_admin_window_change_after_opening_needs_a_reason(ops_client, ops_user):
    round_ = CampaignFactory().rounds.get()
    ends = timezone.now() + timedelta(days=2)
    data = {
        "campaign": round_.campaign_id,
        "number": 1,
        "topic": "夜跑",
        "voting_starts_at_0": "",
        "voting_starts_at_1": "",
        "voting_ends_at_0": local_parts(ends)[0],
        "voting_ends_at_1": local_parts(ends)[1],
        "change_reason": "",
    }
    url = reverse("admin:campaigns_round_change", args=[round_.pk])
    assert ops_client.post(url, data).status_code == 200
    assert Round.objects.get().topic == ""
    data["change_reason"] = "改题"
    assert ops_client.post(url, data).status_code == 302
    log = AuditLog.objects.get(action="round.change_after_opening")
    assert log.actor == ops_user and set(log.data["fields"]) == {"topic", "voting_ends_at"}


def test_window_and_status_changes_after_opening_are_audited(ops_client, ops_user):
    campaign = CampaignFactory()
    later = campaign.voting_ends_at + timedelta(days=2)
    day, time = local_parts(later)
    data = campaign_form_data(campaign, voting_ends_at_0=day, voting_ends_at_1=time)
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    response = ops_client.post(url, data)
    assert response.status_code == 200
    assert page_says(
        response,
        "Voting has opened: give a reason for changing %(fields)s.",
        fields="投票截止时间",  # the field's label (campaigns/services.py: field_labels)
    )
    data.update(change_reason="延长投票", status=Campaign.Status.CLOSED)
    assert ops_client.post(url, data).status_code == 302
    log = AuditLog.objects.get(action="campaign.policy_change")
    assert (log.actor, log.reason) == (ops_user, "延长投票")
    assert set(log.data["fields"]) == {"voting_ends_at", "status"}
    assert log.data["previous"]["status"] == "open"


@pytest.mark.parametrize(("field", "value"), [("votes_per_day", 2), ("votes_per_entry_per_day", 0)])
def test_limits_can_only_be_raised_after_opening(ops_client, field, value):
    campaign = CampaignFactory(votes_per_day=3, votes_per_entry_per_day=1)
    data = campaign_form_data(campaign, change_reason="收紧", **{field: value})
    response = ops_client.post(reverse("admin:campaigns_campaign_change", args=[campaign.pk]), data)
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert (campaign.votes_per_day, campaign.votes_per_entry_per_day) == (3, 1)
    assert not AuditLog.objects.exists()


def test_lowering_a_limit_is_refused_even_with_a_reason_raising_is_fine(ops_client):
    campaign = CampaignFactory(votes_per_day=3)
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    response = ops_client.post(
        url, campaign_form_data(campaign, votes_per_day=2, change_reason="x")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    response = ops_client.post(
        url, campaign_form_data(campaign, votes_per_day=4, change_reason="y")
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.votes_per_day == 4


def test_school_only_cannot_be_switched_on_after_opening(ops_client):
    campaign = CampaignFactory()
    data = campaign_form_data(campaign, school_voters_only="on", change_reason="仅本校")
    response = ops_client.post(reverse("admin:campaigns_campaign_change", args=[campaign.pk]), data)
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.school_voters_only is False


def test_moving_the_opening_into_the_future_does_not_unfreeze(ops_client):
    campaign = CampaignFactory(votes_per_day=3)
    future = timezone.now() + timedelta(days=1)
    day, time = local_parts(future)
    data = campaign_form_data(
        campaign, voting_starts_at_0=day, voting_starts_at_1=time, votes_per_day=1
    )
    response = ops_client.post(reverse("admin:campaigns_campaign_change", args=[campaign.pk]), data)
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.votes_per_day == 3


def test_expense_on_a_campaign_of_another_pilot_is_refused(ops_client):
    pilot = PilotFactory()
    elsewhere = CampaignFactory()
    data = {
        "pilot": pilot.pk,
        "campaign": elsewhere.pk,
        "category": "printing",
        "amount": "120.00",
        "spent_on": timezone.localdate().isoformat(),
        "note": "",
    }
    response = ops_client.post(reverse("admin:campaigns_expense_add"), data)
    assert response.status_code == 200
    assert not Expense.objects.exists()
    data["campaign"] = CampaignFactory(pilot=pilot).pk
    assert ops_client.post(reverse("admin:campaigns_expense_add"), data).status_code == 302
