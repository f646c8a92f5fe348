"""Once voting opens the vote policy and prizes are frozen: changes need a reason, logged."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import AuditLog, Campaign, Prize
from tests.factories import CampaignFactory, PrizeFactory
from tests.helpers import page_says
from tests.test_constraints import campaign_form_data

pytestmark = pytest.mark.django_db


def change_url(campaign: Campaign) -> str:
    return reverse("admin:campaigns_campaign_change", args=[campaign.pk])


def test_before_voting_opens_policy_changes_freely(ops_client):
    campaign = CampaignFactory(voting_starts_at=timezone.now() + timedelta(days=1))
    response = ops_client.post(change_url(campaign), campaign_form_data(campaign, votes_per_day=5))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.votes_per_day == 5
    assert not AuditLog.objects.exists()


def test_after_voting_opens_a_policy_change_without_reason_is_refused(ops_client):
    campaign = CampaignFactory()  # voting opened 3 days ago
    response = ops_client.post(change_url(campaign), campaign_form_data(campaign, votes_per_day=9))
    assert response.status_code == 200
    assert page_says(
        response,
        "Voting has opened: give a reason for changing %(fields)s.",
        fields="每人每天的票数上限",  # the field's label, never its attribute name
    )
    campaign.refresh_from_db()
    assert campaign.votes_per_day == 3


def test_after_voting_opens_a_policy_change_with_reason_is_logged(ops_client, ops_user):
    campaign = CampaignFactory()
    data = campaign_form_data(campaign, votes_per_day=5, change_reason="学校要求放宽")
    response = ops_client.post(change_url(campaign), data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.votes_per_day == 5
    log = AuditLog.objects.get(action="campaign.policy_change")
    assert (log.actor, log.reason, log.object_id) == (ops_user, "学校要求放宽", str(campaign.pk))
    assert log.data["fields"] == {"votes_per_day": "5"}


def test_after_voting_opens_prize_changes_need_a_reason(ops_client):
    campaign = CampaignFactory()
    prize = PrizeFactory(campaign=campaign, unit_cost="100.00")
    data = campaign_form_data(
        campaign,
        **{
            "prizes-TOTAL_FORMS": "1",
            "prizes-INITIAL_FORMS": "1",
            "prizes-0-id": prize.pk,
            "prizes-0-campaign": campaign.pk,
            "prizes-0-name": prize.name,
            "prizes-0-rank_from": "1",
            "prizes-0-rank_to": "3",
            "prizes-0-unit_cost": "999.00",
            "prizes-0-quantity": "1",
        },
    )
    response = ops_client.post(change_url(campaign), data)
    assert response.status_code == 200
    assert page_says(response, "Voting has opened: prize changes need a reason.")
    assert Prize.objects.get().unit_cost == 100

    data["change_reason"] = "赞助商升级奖品"
    response = ops_client.post(change_url(campaign), data)
    assert response.status_code == 302
    assert Prize.objects.get().unit_cost == 999
    assert AuditLog.objects.get().data["prizes_changed"] is True


def test_new_campaign_gets_its_first_round(ops_client):
    source = CampaignFactory()
    data = campaign_form_data(source, slug="brand-new", title="新活动")
    response = ops_client.post(reverse("admin:campaigns_campaign_add"), data)
    assert response.status_code == 302
    assert Campaign.objects.get(slug="brand-new").rounds.filter(number=1).exists()
