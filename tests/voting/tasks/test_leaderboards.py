"""The leaderboard job: ranking, snapshots, the beat schedule, and the task in a real worker."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from campaigns.models import Campaign
from tests.celery_worker import wait_for_result, wait_until
from tests.factories import CampaignFactory, EntryFactory, VoteFactory
from voting.models import Entry, LeaderboardSnapshot, Vote
from voting.selectors.contest import open_campaign_ids, round_standings
from voting.services.leaderboards import leaderboard_snapshot_create
from voting.tasks import leaderboards as tasks


def build_contest(now=None) -> dict:
    """A campaign whose standing exercises every ranking rule.

    - ``leader``: 3 valid votes.
    - ``early`` and ``late``: 2 valid votes each, a tie. ``early``'s last valid vote is
      older, so it reached 2 first and ranks above ``late`` although ``late`` has the
      lower id (an id tie-break would get it wrong).
    - ``early`` also has a vote cast after everybody else's that was invalidated: counted,
      it would make ``early`` tie ``leader`` (and lose on time); only its time counted, it
      would push ``early`` below ``late``.
    - ``silent``: approved, no votes: last.
    - ``pending`` and ``rejected`` have the most valid votes and must not appear at all.
    """
    now = now or timezone.now()
    campaign = CampaignFactory()
    late = EntryFactory(campaign=campaign, name="晚到")
    early = EntryFactory(campaign=campaign, name="早到")
    leader = EntryFactory(campaign=campaign, name="领先")
    silent = EntryFactory(campaign=campaign, name="无票")
    pending = EntryFactory(campaign=campaign, name="待审", status=Entry.Status.PENDING)
    rejected = EntryFactory(campaign=campaign, name="已拒", status=Entry.Status.REJECTED)

    def votes(entry, *hours_ago, **kwargs):
        for hours in hours_ago:
            VoteFactory(entry=entry, cast_at=now - timedelta(hours=hours), **kwargs)

    votes(leader, 30, 20, 10)
    votes(late, 8, 1)
    votes(early, 7, 2)
    votes(
        early,
        0.5,
        status=Vote.Status.INVALIDATED,
        invalidated_at=now,
        invalidated_reason="sockpuppet",
    )
    votes(pending, 6, 5, 4, 3)
    votes(rejected, 6, 5, 4, 3)
    return {
        "campaign": campaign,
        "round": campaign.rounds.get(),
        "leader": leader,
        "early": early,
        "late": late,
        "silent": silent,
    }


def expected_standings(contest: dict) -> list[dict]:
    return [
        {"rank": 1, "entry_id": contest["leader"].pk, "name": "领先", "votes": 3},
        {"rank": 2, "entry_id": contest["early"].pk, "name": "早到", "votes": 2},
        {"rank": 3, "entry_id": contest["late"].pk, "name": "晚到", "votes": 2},
        {"rank": 4, "entry_id": contest["silent"].pk, "name": "无票", "votes": 0},
    ]


# --- Selector and services (no worker) ------------------------------------------------------


@pytest.mark.django_db
def test_round_standings_rank_by_valid_votes_and_break_ties_by_time():
    contest = build_contest()

    assert round_standings(round_id=contest["round"].pk) == expected_standings(contest)


@pytest.mark.django_db
def test_round_standings_of_a_round_without_entries_is_empty():
    campaign = CampaignFactory()

    assert round_standings(round_id=campaign.rounds.get().pk) == []


@pytest.mark.django_db
def test_snapshot_is_stored_once_while_the_standing_is_unchanged():
    contest = build_contest()
    round_id = contest["round"].pk

    first = leaderboard_snapshot_create(round_id=round_id)
    again = leaderboard_snapshot_create(round_id=round_id)

    assert again.pk == first.pk
    assert LeaderboardSnapshot.objects.filter(round_id=round_id).count() == 1
    assert first.standings == expected_standings(contest)
    assert first.total_votes == 7
    assert first.campaign_id == contest["campaign"].pk
    assert first.is_final is False


@pytest.mark.django_db
def test_a_changed_standing_stores_a_new_snapshot_that_becomes_the_latest():
    contest = build_contest()
    round_id = contest["round"].pk
    first = leaderboard_snapshot_create(round_id=round_id)

    # A vote now for ``late``: 3 votes, reached after ``leader``'s third, so second.
    VoteFactory(entry=contest["late"])
    second = leaderboard_snapshot_create(round_id=round_id)

    assert second.pk != first.pk
    assert LeaderboardSnapshot.objects.filter(round_id=round_id).count() == 2
    assert [row["entry_id"] for row in second.standings] == [
        contest["leader"].pk,
        contest["late"].pk,
        contest["early"].pk,
        contest["silent"].pk,
    ]
    assert [row["votes"] for row in second.standings] == [3, 3, 2, 0]
    assert second.total_votes == 8
    assert leaderboard_snapshot_create(round_id=round_id).pk == second.pk


@pytest.mark.django_db
def test_final_snapshot_is_frozen_once():
    contest = build_contest()
    round_id = contest["round"].pk
    leaderboard_snapshot_create(round_id=round_id)

    final = leaderboard_snapshot_create(round_id=round_id, final=True)
    # A later vote does not move a frozen standing.
    VoteFactory(entry=contest["silent"])
    again = leaderboard_snapshot_create(round_id=round_id, final=True)

    assert final.is_final is True
    assert final.standings == expected_standings(contest)
    assert again.pk == final.pk
    assert LeaderboardSnapshot.objects.filter(round_id=round_id, is_final=True).count() == 1


@pytest.mark.django_db
def test_open_campaign_ids_are_the_campaigns_being_voted_on():
    now = timezone.now()
    hour = timedelta(hours=1)

    def campaign(status=Campaign.Status.OPEN, *, voting_starts_at, voting_ends_at):
        return CampaignFactory(
            status=status,
            submission_starts_at=voting_starts_at - 24 * hour,
            submission_ends_at=voting_ends_at,
            voting_starts_at=voting_starts_at,
            voting_ends_at=voting_ends_at,
        )

    voting_now = campaign(voting_starts_at=now - hour, voting_ends_at=now + hour)
    just_closed = campaign(
        voting_starts_at=now - 5 * hour, voting_ends_at=now - timedelta(minutes=3)
    )
    campaign(voting_starts_at=now + hour, voting_ends_at=now + 5 * hour)  # not started
    campaign(voting_starts_at=now - 5 * hour, voting_ends_at=now - hour)  # long over
    for status in (Campaign.Status.DRAFT, Campaign.Status.CLOSED, Campaign.Status.ARCHIVED):
        campaign(status, voting_starts_at=now - hour, voting_ends_at=now + hour)

    # A campaign that closed minutes ago is refreshed once more, so its last votes count.
    assert sorted(open_campaign_ids(at=now)) == sorted([voting_now.pk, just_closed.pk])


@pytest.mark.django_db
def test_beat_refreshes_open_leaderboards_every_minute():
    """The schedule is a row created by migration voting/0002, editable in admin."""
    periodic = PeriodicTask.objects.get(name="Refresh leaderboards of open campaigns")

    assert periodic.task == "voting.tasks.leaderboards_refresh_open"
    assert periodic.enabled is True
    assert periodic.interval is not None
    assert (periodic.interval.every, periodic.interval.period) == (1, IntervalSchedule.MINUTES)
    assert periodic.crontab is None


@pytest.mark.django_db
def test_refresh_task_of_a_deleted_campaign_does_nothing():
    assert tasks.leaderboard_refresh.run(campaign_id=987654) == []


# --- The task in a real Celery worker -------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_leaderboard_task_in_a_real_worker_ranks_and_is_idempotent(celery_worker):
    contest = build_contest()
    campaign = contest["campaign"]
    snapshots = LeaderboardSnapshot.objects.filter(campaign=campaign)

    tasks.leaderboard_refresh.delay(campaign.pk)

    snapshot = wait_until(
        snapshots.first, worker=celery_worker, what="the first leaderboard snapshot"
    )
    assert snapshot.standings == expected_standings(contest)
    assert snapshot.round_id == contest["round"].pk
    assert snapshot.total_votes == 7
    assert snapshot.is_final is False

    # Twice more, on demand and from the periodic fan-out. A second open campaign gives
    # the fan-out a visible effect: once its snapshot exists, beat's job has run.
    other = CampaignFactory()
    other_entry = EntryFactory(campaign=other, name="另一个")
    VoteFactory(entry=other_entry)
    again = tasks.leaderboard_refresh.apply_async((campaign.pk,), ignore_result=False)
    assert wait_for_result(again, worker=celery_worker) == [snapshot.pk]
    tasks.leaderboards_refresh_open.delay()
    other_snapshot = wait_until(
        LeaderboardSnapshot.objects.filter(campaign=other).first,
        worker=celery_worker,
        what="the fan-out's snapshot of the other campaign",
    )
    # The fan-out had enqueued this campaign's refresh too before the other snapshot could
    # appear; a result of a refresh sent after it proves the worker got through it.
    last = tasks.leaderboard_refresh.apply_async((campaign.pk,), ignore_result=False)
    assert wait_for_result(last, worker=celery_worker) == [snapshot.pk]

    # An unchanged standing wrote nothing.
    assert list(snapshots.values_list("pk", flat=True)) == [snapshot.pk]
    assert other_snapshot.standings == [
        {"rank": 1, "entry_id": other_entry.pk, "name": "另一个", "votes": 1}
    ]
