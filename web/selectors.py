"""Reads of the student site beyond the API's (``voting/selectors/public.py``): what one
voter sees of their own votes, and the images of an entry at the sizes pages show.

Nothing here decides whether a vote is allowed: the vote service does, and says why.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from campaigns.models import Campaign, Round
from voting.models import Entry, LeaderboardSnapshot, Vote
from voting.services.entry_files import entry_image_url


def image_url(entry: Entry, field: str) -> str | None:
    """The public URL of the entry's image at the size a page shows (None while it has
    no public copy: only approved entries' files are public)."""
    return entry_image_url(entry, field)


@dataclass(frozen=True)
class SnapshotVotes:
    """An entry's votes as everyone sees them: the latest leaderboard snapshot's
    (``computed_at`` None: no snapshot yet, the live count of valid votes)."""

    votes: int
    computed_at: datetime | None


def snapshot_votes_latest(*, entry: Entry) -> SnapshotVotes:
    snapshot = (
        LeaderboardSnapshot.objects.filter(round_id=entry.round_id)
        .order_by("-computed_at", "-id")
        .values("computed_at", "standings")
        .first()
    )
    if snapshot is None:
        live = Vote.objects.filter(entry=entry, status=Vote.Status.VALID).count()
        return SnapshotVotes(live, None)
    votes = next((r["votes"] for r in snapshot["standings"] if r["entry_id"] == entry.pk), 0)
    return SnapshotVotes(votes, snapshot["computed_at"])


def entry_votes_for_viewer(
    *, entry: Entry, voter_id: int | None, snapshot: SnapshotVotes | None = None
) -> int:
    """The entry's votes as its page shows them: the latest leaderboard snapshot (what
    the leaderboard and the API say), plus the viewer's own valid votes cast since it
    was computed, so a student sees their vote counted at once. ``snapshot``: the
    snapshot's figure already read (from the shared cache); two queries at most."""
    snapshot = snapshot or snapshot_votes_latest(entry=entry)
    if snapshot.computed_at is None:
        if voter_id is None:
            return snapshot.votes
        return Vote.objects.filter(entry=entry, status=Vote.Status.VALID).count()
    votes = snapshot.votes
    if voter_id is not None:
        votes += Vote.objects.filter(
            voter_id=voter_id,
            entry=entry,
            status=Vote.Status.VALID,
            cast_at__gt=snapshot.computed_at,
        ).count()
    return votes


def votes_remaining_today(*, campaign: Campaign, voter_id: int) -> int:
    """How many votes the voter has left in the campaign today (local day)."""
    used = Vote.objects.filter(
        voter_id=voter_id,
        campaign=campaign,
        day=timezone.localdate(),
        status=Vote.Status.VALID,
    ).count()
    return max(campaign.votes_per_day - used, 0)


def next_local_midnight(at: datetime | None = None) -> datetime:
    """When daily limits start over: the next midnight in the site's zone (Beijing)."""
    today = timezone.localdate(at or timezone.now())
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time())
    return timezone.make_aware(midnight)


def voting_phase(*, campaign: Campaign, round_: Round | None, at: datetime | None = None) -> str:
    """For the page's wording only ("upcoming", "open", "ended"); the vote service alone
    decides a vote."""
    at = at or timezone.now()
    starts = max(filter(None, [campaign.voting_starts_at, round_ and round_.voting_starts_at]))
    ends = min(filter(None, [campaign.voting_ends_at, round_ and round_.voting_ends_at]))
    if campaign.status != Campaign.Status.OPEN or at >= ends:
        return "ended"
    return "upcoming" if at < starts else "open"


def submissions_open(*, campaign: Campaign, at: datetime | None = None) -> bool:
    """For the page's wording only; ``entry_submit`` decides."""
    at = at or timezone.now()
    return (
        campaign.status == Campaign.Status.OPEN
        and campaign.submission_starts_at <= at < campaign.submission_ends_at
    )


def entry_own_for_voter(*, campaign: Campaign, entry_id: int, voter_id: int | None) -> Entry | None:
    """The signed-in contestant's own entry of the campaign whatever its status, so that
    its page can tell them it waits for review or why it was rejected (None for anybody
    else: to them an entry that is not approved does not exist)."""
    if voter_id is None:
        return None
    return (
        Entry.objects.filter(campaign=campaign, pk=entry_id, voter_id=voter_id)
        .select_related("round")
        .first()
    )
