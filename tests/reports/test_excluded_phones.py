"""People who must never count as new users, whatever way their phone was typed.

Before phones had one stored form, the ambassador admin and the staff-phone list stored
them as typed while voters are stored as E.164, so the exclusions (exact matches) missed
them: an intern added as "13912345678" who signed up and voted was a new user.
"""

import pytest
from django.urls import reverse

from ambassadors.models import Ambassador
from campaigns.models import StaffPhone
from core import sms
from reports.runner import CampaignReportRunner
from tests.factories import CampaignFactory, EntryFactory, UserFactory
from voting.models import Voter
from voting.services.sign_in import otp_request, otp_verify
from voting.services.votes import vote_cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def memory_sms(settings, monkeypatch):
    """Codes captured in memory, sent inline: a worker sends them after commit, and these
    tests run in a transaction that never commits (tests/voting/fixtures_api.py)."""
    settings.SMS_BACKEND = "memory"
    monkeypatch.setattr("voting.services.sign_in.otp_sms_send_later", sms.sms_send)
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def sign_up_and_vote(phone_as_typed: str, campaign) -> Voter:
    """The real path: a one-time code by SMS, its verification, a vote."""
    otp_request(phone=phone_as_typed)
    result = otp_verify(phone=phone_as_typed, code=sms.outbox[-1].code)
    vote_cast(voter=result.voter, entry=EntryFactory(campaign=campaign))
    return result.voter


def ambassador_form(school, phone: str) -> dict:
    return {
        "school": school.pk,
        "name": "李四",
        "student_id": "20240001",
        "phone": phone,
        "email": "",
        "role": "intern",
        "hourly_rate": "25.00",
        "stipend": "0",
        "active": "on",
    }


def test_ambassador_typed_in_admin_is_not_a_new_user(ops_client):
    campaign = CampaignFactory()
    response = ops_client.post(
        reverse("admin:ambassadors_ambassador_add"),
        ambassador_form(campaign.pilot.school, "13912345678"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Ambassador.objects.get().phone == "+8613912345678"

    sign_up_and_vote("138 0013 8000", campaign)
    intern = sign_up_and_vote("+86 139-1234-5678", campaign)
    assert intern.phone == "+8613912345678"
    report = CampaignReportRunner(campaign).run().as_json()
    # Two voters signed up and voted; only the honest one is a new user.
    assert report["new_users"] == 1
    assert Voter.objects.filter(attributed_campaign=campaign).count() == 2


def test_ambassador_admin_refuses_a_non_phone_and_writes_nothing(ops_client):
    campaign = CampaignFactory()
    response = ops_client.post(
        reverse("admin:ambassadors_ambassador_add"),
        ambassador_form(campaign.pilot.school, "139 1234 567"),  # 10 digits
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Ambassador.objects.exists()


def test_staff_phone_typed_with_spaces_is_excluded(ops_client):
    campaign = CampaignFactory()
    response = ops_client.post(
        reverse("admin:campaigns_staffphone_add"), {"phone": "0086 137 0000 0099", "label": "运营"}
    )
    assert response.status_code == 302
    assert StaffPhone.objects.get().phone == "+8613700000099"
    sign_up_and_vote("13700000099", campaign)
    sign_up_and_vote("13700000098", campaign)
    assert CampaignReportRunner(campaign).run().as_json()["new_users"] == 1


def test_staff_phone_duplicate_in_another_spelling_is_refused(ops_client):
    StaffPhone.objects.create(phone="+8613700000099")
    response = ops_client.post(
        reverse("admin:campaigns_staffphone_add"), {"phone": "137-0000-0099", "label": "again"}
    )
    assert response.status_code == 200
    assert StaffPhone.objects.count() == 1


def test_staff_users_own_phone_is_excluded(ops_client, ops_user):
    """A staff user's own phone is a staff phone linked to their login."""
    campaign = CampaignFactory()
    staff = UserFactory(username="ops-2", role="staff")
    response = ops_client.post(
        reverse("admin:campaigns_staffphone_add"),
        {"phone": "13700000077", "label": "", "user": staff.pk},
    )
    assert response.status_code == 302
    sign_up_and_vote("137 0000 0077", campaign)
    assert CampaignReportRunner(campaign).run().as_json()["new_users"] == 0
