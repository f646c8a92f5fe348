"""Creating entries: the one place share codes are drawn, and the rare collision."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.services import campaign_first_round_ensure
from tests.factories import CampaignFactory, EntryFactory
from voting.models import Entry
from voting.services import entries as entries_service
from voting.services.entries import entry_build, entry_create

pytestmark = pytest.mark.django_db


def test_built_entries_carry_distinct_share_codes():
    campaign = CampaignFactory()
    round_ = campaign_first_round_ensure(campaign=campaign)
    codes = {
        entry_build(campaign=campaign, round_=round_, name=f"选手{n}").share_code for n in range(50)
    }
    assert len(codes) == 50
    assert all(len(code) == 8 for code in codes)


def test_a_taken_share_code_is_drawn_again(monkeypatch):
    taken = EntryFactory()
    campaign = taken.campaign
    fresh = iter([taken.share_code, "FRESHCD2"])
    monkeypatch.setattr(entries_service, "new_code", lambda *a: next(fresh))
    entry = Entry(campaign=campaign, round=taken.round, name="新选手", share_code=taken.share_code)

    created = entry_create(entry=entry)

    assert created.pk and created.share_code == "FRESHCD2"
    assert Entry.objects.filter(campaign=campaign).count() == 2


def test_another_refusal_of_the_database_is_not_retried():
    taken = EntryFactory(student_id="0230120003")
    duplicate = Entry(
        campaign=taken.campaign, round=taken.round, name="同一学号", student_id="0230120003"
    )
    with pytest.raises(Exception) as caught:
        entry_create(entry=duplicate)
    assert "IntegrityError" in type(caught.value).__name__
    assert Entry.objects.count() == 1


def test_first_round_is_ensured_once():
    campaign = CampaignFactory()
    first = campaign_first_round_ensure(campaign=campaign)
    assert campaign_first_round_ensure(campaign=campaign) == first
    assert first.number == 1 and campaign.rounds.count() == 1


def test_entry_added_in_admin_gets_a_share_code(ops_client):
    campaign = CampaignFactory(status=Campaign.Status.OPEN)
    response = ops_client.post(
        reverse("admin:voting_entry_add"),
        {
            "campaign": campaign.pk,
            "round": campaign.rounds.get().pk,
            "name": "王五",
            "student_id": "2023999",
            "caption": "",
            "status": Entry.Status.PENDING,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = Entry.objects.get(name="王五")
    assert len(entry.share_code) == 8
