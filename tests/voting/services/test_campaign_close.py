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
    # One report computation and the SMS of the three winners, all sent after commit
    # (besides the public cache's version bumps).
    tasks = [c for c in callbacks if "public_cache_bump" not in getattr(c, "__qualname__", "")]
    assert len(tasks) == 4


def test_close_task_for_a_deleted_campaign_is_a_no_op():
    campaign_close_task.apply(args=[987654])
    assert not Report.objects.exists()


def test_late_invalidation_adds_a_revised_final_standing_beside_the_first(ended, ops_user):
    """Fraud confirmed after the close used to leave the frozen standing, the winners and
    the prizes as they were: the cheater kept the gold."""
    from voting.models import PrizeAward, Vote
    from voting.selectors.contest import final_standings, leaderboard_latest
    from voting.services.leaderboards import leaderboard_refresh_campaign
    from voting.services.votes import vote_invalidate

    campaign, entries = ended
    campaign_close(campaign_id=campaign.pk)
    first = LeaderboardSnapshot.objects.get(campaign=campaign, is_final=True)
    vote_invalidate(
        vote_ids=Vote.objects.filter(entry=entries[0]).values_list("pk", flat=True),
        actor=ops_user,
        reason="late fraud finding",
    )
    leaderboard_refresh_campaign(campaign_id=campaign.pk)  # a late beat tick: writes nothing
    round_id = campaign.rounds.get().pk
    kept, revised = final_standings(round_id=round_id)
    assert kept == first and kept.standings == first.standings  # the first is kept as it was
    assert (revised.revision, revised.revised_by, revised.revision_reason) == (
        1,
        ops_user,
        "late fraud finding",
    )
    assert [row["votes"] for row in revised.standings] == [5, 4, 3, 2, 1, 0]
    assert leaderboard_latest(round_id=round_id) == revised
    result = round_winners(round_id=round_id)
    assert [(w["name"], w["prize"]) for w in result["winners"]] == [
        ("E2", "金奖"),
        ("E3", "银奖"),
        ("E4", "银奖"),
    ]
    assert [a["name"] for a in result["alternates"]] == ["E5", "E6"]
    awards = {
        (a.entry.name, a.prize.name, a.state)
        for a in PrizeAward.objects.select_related("entry", "prize")
    }
    assert awards == {
        ("E1", "金奖", "revoked"),
        ("E2", "银奖", "revoked"),
        ("E2", "金奖", "awarded"),
        ("E3", "银奖", "awarded"),
        ("E4", "银奖", "awarded"),
    }


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
