"""Reads of the voting app."""

from django.db.models import Count, Max, Q, QuerySet

from campaigns.models import Round

from .models import Entry, LeaderboardSnapshot, Vote


def round_standings(*, round_id: int) -> list[dict]:
    """Approved entries of a round ranked by valid votes, in one query.

    A tie goes to the entry that reached its count first: the one whose latest valid
    vote is older. Entries without votes follow, oldest entry first.
    """
    valid = Q(votes__status=Vote.Status.VALID)
    rows = (
        Entry.objects.filter(round_id=round_id, status=Entry.Status.APPROVED)
        .annotate(
            n_votes=Count("votes", filter=valid),
            reached_at=Max("votes__cast_at", filter=valid),
        )
        .order_by("-n_votes", "reached_at", "id")
        .values_list("id", "name", "n_votes")
    )
    return [
        {"rank": rank, "entry_id": entry_id, "name": name, "votes": n_votes}
        for rank, (entry_id, name, n_votes) in enumerate(rows, start=1)
    ]


def leaderboard_latest(*, round_id: int) -> LeaderboardSnapshot | None:
    return LeaderboardSnapshot.objects.filter(round_id=round_id).order_by("-computed_at").first()


def entry_list_with_counts(*, campaign_id: int) -> QuerySet[Entry]:
    """Entries of a campaign with their live count of valid votes (admin, exports)."""
    return (
        Entry.objects.filter(campaign_id=campaign_id)
        .select_related("round", "campaign")
        .annotate(valid_votes=Count("votes", filter=Q(votes__status=Vote.Status.VALID)))
    )


def campaign_round_ids(*, campaign_id: int) -> list[int]:
    return list(Round.objects.filter(campaign_id=campaign_id).values_list("id", flat=True))
