"""Staff invalidate votes in admin with a reason; nothing is deleted and the log says why."""

import pytest
from django.urls import reverse

from campaigns.models import AuditLog
from tests.factories import CampaignFactory, EntryFactory, VoteFactory, VoterFactory
from voting.models import Vote
from voting.services.sign_in import voter_token_authenticate, voter_token_issue

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:voting_vote_changelist"


@pytest.fixture
def votes():
    entry = EntryFactory()
    return [VoteFactory(entry=entry) for _ in range(3)]


def test_invalidate_asks_for_a_reason_first(ops_client, votes):
    response = ops_client.post(
        reverse(CHANGELIST),
        {"action": "invalidate", "_selected_action": [v.pk for v in votes[:2]]},
    )
    assert response.status_code == 200
    assert response.templates[0].name == "admin/voting/vote/invalidate.html"
    assert Vote.objects.filter(status="valid").count() == 3


def test_invalidate_without_reason_changes_nothing(ops_client, votes):
    response = ops_client.post(
        reverse(CHANGELIST),
        {
            "action": "invalidate",
            "apply": "1",
            "reason": "   ",
            "_selected_action": [v.pk for v in votes],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert Vote.objects.filter(status="valid").count() == 3
    assert not AuditLog.objects.exists()


def test_invalidate_with_reason_keeps_rows_and_records_who_and_why(ops_client, ops_user, votes):
    response = ops_client.post(
        reverse(CHANGELIST),
        {
            "action": "invalidate",
            "apply": "1",
            "reason": "同一设备批量投票",
            "_selected_action": [v.pk for v in votes[:2]],
        },
    )
    assert response.status_code == 302
    assert Vote.objects.count() == 3  # never deleted
    invalid = Vote.objects.filter(status="invalidated")
    assert invalid.count() == 2
    assert set(invalid.values_list("invalidated_by", flat=True)) == {ops_user.pk}
    assert set(invalid.values_list("invalidated_reason", flat=True)) == {"同一设备批量投票"}
    log = AuditLog.objects.get()
    assert (log.actor, log.action, log.reason) == (ops_user, "votes.invalidate", "同一设备批量投票")
    assert log.data == {"votes": 2}
    assert log.school_id == votes[0].campaign.pilot.school_id


def test_invalidating_twice_counts_once(ops_client, votes):
    payload = {
        "action": "invalidate",
        "apply": "1",
        "reason": "sockpuppet",
        "_selected_action": [votes[0].pk],
    }
    ops_client.post(reverse(CHANGELIST), payload)
    ops_client.post(reverse(CHANGELIST), payload)
    assert Vote.objects.filter(status="invalidated").count() == 1
    assert AuditLog.objects.count() == 1


def test_votes_cannot_be_edited_or_deleted_in_admin(ops_client, votes):
    vote = votes[0]
    assert (
        ops_client.post(
            reverse("admin:voting_vote_delete", args=[vote.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    page = ops_client.get(reverse("admin:voting_vote_change", args=[vote.pk]))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert Vote.objects.count() == 3


def test_staff_signs_voters_out_everywhere_with_an_audit_row(ops_client):

    suspect, other = VoterFactory(), VoterFactory()
    tokens = [voter_token_issue(voter=suspect) for _ in range(2)]
    kept = voter_token_issue(voter=other)
    ops_client.post(
        reverse("admin:voting_voter_changelist"),
        {"action": "sign_out_everywhere", "_selected_action": [suspect.pk]},
    )
    assert [voter_token_authenticate(token=t) for t in tokens] == [None, None]
    assert voter_token_authenticate(token=kept) is not None
    assert AuditLog.objects.get(action="voters.sign_out").data == {
        "voters": [suspect.pk],
        "tokens": 2,
    }


def test_refresh_leaderboards_is_offered_on_the_campaign_list(ops_client):
    CampaignFactory()
    response = ops_client.get(reverse("admin:campaigns_campaign_changelist"))
    assert 'value="refresh_leaderboards"' in response.content.decode()
