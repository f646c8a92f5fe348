"""Closing a campaign freezes its final standing; winners get prizes, alternates wait."""

from datetime import timedelta
from decimal import Decimal

import pytest
from celery import current_app
from django.utils import timezone

from campaigns.models import Campaign
from reports.models import Report
from reports.tasks import campaign_close_task, campaigns_close_due
from tests.factories import CampaignFactory, EntryFactory, PrizeFactory, VoteFactory
from voting.models import Entry, LeaderboardSnapshot
from voting.selectors.contest import campaigns_due_for_closing, round_winners
from voting.services.leaderboards import campaign_close

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended():
    """Voting ended an hour ago; six entries with 6..1 votes; prizes for ranks 1 and 2-3."""
    campaign = CampaignFactory(voting_ends_at=timezone.now() - timedelta(hours=1))
    start = timezone.now() - timedelta(days=2)
    entries = []
    for i, n_votes in enumerate([6, 5, 4, 3, 2, 1]):
        entry = EntryFactory(campaign=campaign, name=f"E{i + 1}")
        for k in range(n_votes):
            VoteFactory(entry=entry, cast_at=start + timedelta(minutes=k))
        entries.append(entry)
    PrizeFactory(campaign=campaign, name="金奖", rank_from=1, rank_to=1, unit_cost=Decimal("500"))
    PrizeFactory(campaign=campaign, name="银奖", rank_from=2, rank_to=3, unit_cost=Decimal("100"))
    return campaign, entries


def test_close_freezes_final_standing_once(ended):
    campaign, _ = ended
    assert campaigns_due_for_closing() == [campaign.pk]
    assert campaign_close(campaign_id=campaign.pk) is True
    assert campaign_close(campaign_id=campaign.pk) is False  # already closed
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED
    final = LeaderboardSnapshot.objects.get(campaign=campaign, is_final=True)
    assert [row["votes"] for row in final.standings] == [6, 5, 4, 3, 2, 1]
    assert campaigns_due_for_closing() == []


def test_open_campaign_is_not_closed_early():
    campaign = CampaignFactory()
    assert campaign_close(campaign_id=campaign.pk) is False
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.OPEN
    assert not LeaderboardSnapshot.objects.filter(is_final=True).exists()


def test_closed_by_hand_gets_its_final_standing(ended):
    campaign, _ = ended
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    assert campaigns_due_for_closing() == [campaign.pk]
    campaign_close(campaign_id=campaign.pk)
    assert LeaderboardSnapshot.objects.filter(campaign=campaign, is_final=True).count() == 1


def test_winners_and_alternates(ended):
    campaign, entries = ended
    campaign_close(campaign_id=campaign.pk)
    result = round_winners(round_id=campaign.rounds.get().pk)
    assert result["final"] is True
    assert [(w["name"], w["rank"], w["prize"]) for w in result["winners"]] == [
        ("E1", 1, "金奖"),
        ("E2", 2, "银奖"),
        ("E3", 3, "银奖"),
    ]
    assert [a["name"] for a in result["alternates"]] == ["E4", "E5", "E6"]


def test_disqualified_winner_is_replaced_by_first_alternate(ended):
    campaign, entries = ended
    campaign_close(campaign_id=campaign.pk)
    Entry.objects.filter(pk=entries[1].pk).update(status=Entry.Status.DISQUALIFIED)
    result = round_winners(round_id=campaign.rounds.get().pk)
    assert [w["name"] for w in result["winners"]] == ["E1", "E3", "E4"]
    assert [a["name"] for a in result["alternates"]] == ["E5", "E6"]
    # The frozen standing itself does not change.
    final = LeaderboardSnapshot.objects.get(campaign=campaign, is_final=True)
    assert final.standings[1]["entry_id"] == entries[1].pk


def test_close_task_requests_the_report_once(
    ended, django_capture_on_commit_callbacks, monkeypatch
):
    campaign, _ = ended
    # The fan-out's .delay() runs inline here; the real-worker tests cover the broker.
    monkeypatch.setitem(current_app.conf, "task_always_eager", True)
    with django_capture_on_commit_callbacks() as callbacks:
        assert campaigns_close_due.apply().get() == 1
        campaign_close_task.apply(args=[campaign.pk])  # redelivered: closes nothing more
    assert Report.objects.filter(campaign=campaign).count() == 1
    assert len(callbacks) == 1  # one report computation, sent after commit


def test_close_task_for_a_deleted_campaign_is_a_no_op():
    campaign_close_task.apply(args=[987654])
    assert not Report.objects.exists()


def test_frozen_standing_stays_frozen_after_late_changes(ended, ops_user):
    from voting.models import Vote
    from voting.selectors.contest import leaderboard_latest
    from voting.services.leaderboards import leaderboard_refresh_campaign
    from voting.services.votes import vote_invalidate

    campaign, entries = ended
    campaign_close(campaign_id=campaign.pk)
    final = LeaderboardSnapshot.objects.get(campaign=campaign, is_final=True)
    vote_invalidate(
        vote_ids=Vote.objects.filter(entry=entries[0]).values_list("pk", flat=True),
        actor=ops_user,
        reason="late fraud finding",
    )
    leaderboard_refresh_campaign(campaign_id=campaign.pk)
    assert LeaderboardSnapshot.objects.filter(campaign=campaign).count() == 1
    assert leaderboard_latest(round_id=campaign.rounds.get().pk) == final


def test_final_snapshot_page_shows_winners_and_alternates(ops_client, ended):
    from django.urls import reverse

    campaign, _ = ended
    campaign_close(campaign_id=campaign.pk)
    final = LeaderboardSnapshot.objects.get(campaign=campaign, is_final=True)
    page = ops_client.get(reverse("admin:voting_leaderboardsnapshot_change", args=[final.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and 'id="winners"' in body
    winners = body[body.index('id="winners"') :].split("</table>")[0]
    assert winners.count("金奖") == 1 and winners.count("银奖") == 2
    assert "E4" in winners and "E6" in winners
