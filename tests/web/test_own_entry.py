"""A contestant opening their own entry before approval, or once rejected, reads its
status and the rejection reason; anybody else gets the not-found page."""

import pytest

from tests.factories import EntryFactory, UserFactory, VoterFactory
from tests.web.helpers import entry_url, sign_in_as
from voting.models import Entry
from voting.services.moderation import entry_approve, entry_reject

pytestmark = pytest.mark.django_db


@pytest.fixture
def own(campaign, voter):
    return EntryFactory(campaign=campaign, voter=voter, status=Entry.Status.PENDING, name="孟馨")


def test_the_owner_reads_the_rejection_reason(student, own):
    entry_reject(
        entry_id=own.pk,
        actor=UserFactory(role="staff"),
        reason=Entry.RejectionReason.OFF_TOPIC,
        note="请拍跑步的照片",
    )
    response = student.get(entry_url(own))
    assert response.status_code == 200
    body = response.content.decode()
    assert "未通过审核：与主题不符（请拍跑步的照片）" in body
    assert "重新提交照片" in body  # entries are open
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_owner_sees_a_pending_entry_waits(student, own):
    response = student.get(entry_url(own))
    assert response.status_code == 200
    assert "你的照片正在审核中" in response.content.decode()


def test_anybody_else_gets_not_found(client, own):
    entry_reject(
        entry_id=own.pk, actor=UserFactory(role="staff"), reason=Entry.RejectionReason.BLURRY
    )
    anonymous = client.get(entry_url(own))
    assert anonymous.status_code == 404 and "照片模糊" not in anonymous.content.decode()
    sign_in_as(client, VoterFactory())
    other = client.get(entry_url(own))
    assert other.status_code == 404 and "照片模糊" not in other.content.decode()


def test_approval_brings_the_public_page_back(student, own):
    staff = UserFactory(role="staff")
    entry_reject(entry_id=own.pk, actor=staff, reason=Entry.RejectionReason.BLURRY)
    entry_approve(entry_id=own.pk, actor=staff)
    body = student.get(entry_url(own)).content.decode()
    assert "未通过审核" not in body and 'data-testid="vote-button"' in body


def test_an_entry_of_another_campaign_is_not_found_for_its_owner(student, own, campaign):
    wrong = f"/c/{campaign.slug}-other/e/{own.pk}/"
    assert student.get(wrong).status_code == 404
