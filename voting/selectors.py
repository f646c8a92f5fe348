"""Reads of the voting app."""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from campaigns.models import Prize, Round

from .models import Entry, LeaderboardSnapshot, Vote


def round_standings(*, round_id: int) -> list[dict]:
    """Approved entries of a round ranked by valid votes, in one query.

    A tie goes to the entry that reached its count first: the one whose latest valid
    vote is older. Entries without votes follow, oldest entry first.

    Counted per entry by subqueries that read only the index on (entry, status, cast_at)
    (``vote_entry_cast_idx``: COUNT(*) and the newest cast_at, index-only scans), not by
    joining every vote to its entry and grouping: on PostgreSQL the join reads each vote
    row and cannot run in parallel (an outer join), which made a refresh of 1,000,000
    votes about twice as slow as a bare GROUP BY over them (bench/bench_reports.py).
    """
    valid_votes = Vote.objects.filter(entry=OuterRef("pk"), status=Vote.Status.VALID).order_by()
    rows = (
        Entry.objects.filter(round_id=round_id, status=Entry.Status.APPROVED)
        .annotate(
            n_votes=Coalesce(
                Subquery(valid_votes.values("entry").annotate(n=Count("*")).values("n")), 0
            ),
            reached_at=Subquery(valid_votes.order_by("-cast_at").values("cast_at")[:1]),
        )
        .order_by("-n_votes", "reached_at", "id")
        .values_list("id", "name", "n_votes")
    )
    return [
        {"rank": rank, "entry_id": entry_id, "name": name, "votes": n_votes}
        for rank, (entry_id, name, n_votes) in enumerate(rows, start=1)
    ]


def leaderboard_latest(*, round_id: int) -> LeaderboardSnapshot | None:
    """The final standing once frozen, otherwise the newest snapshot."""
    return (
        LeaderboardSnapshot.objects.filter(round_id=round_id)
        .order_by("-is_final", "-computed_at")
        .first()
    )


def entry_list_with_counts(*, campaign_id: int) -> QuerySet[Entry]:
    """Entries of a campaign with their live count of valid votes (admin, exports)."""
    return (
        Entry.objects.filter(campaign_id=campaign_id)
        .select_related("round", "campaign")
        .annotate(valid_votes=Count("votes", filter=Q(votes__status=Vote.Status.VALID)))
    )


def campaign_round_ids(*, campaign_id: int) -> list[int]:
    return list(Round.objects.filter(campaign_id=campaign_id).values_list("id", flat=True))


ALTERNATES = 3


def round_winners(*, round_id: int) -> dict:
    """Winners of a round with their prizes, and the alternates next in line.

    Read from the frozen final standing (or the latest one before closing). Entries
    disqualified since are dropped and everyone below moves up, so the alternates are
    exactly who would step in.
    """
    snapshot = leaderboard_latest(round_id=round_id)
    if snapshot is None:
        return {"final": False, "winners": [], "alternates": []}
    still_approved = set(
        Entry.objects.filter(
            pk__in=[row["entry_id"] for row in snapshot.standings], status=Entry.Status.APPROVED
        ).values_list("pk", flat=True)
    )
    ranked = [
        {**row, "rank": rank}
        for rank, row in enumerate(
            (r for r in snapshot.standings if r["entry_id"] in still_approved and r["votes"] > 0),
            start=1,
        )
    ]
    round_ = Round.objects.get(pk=round_id)
    prizes = Prize.objects.filter(campaign_id=round_.campaign_id).filter(
        Q(round_id=round_id) | Q(round__isnull=True)
    )
    winners = []
    for row in ranked:
        prize = next((p for p in prizes if p.rank_from <= row["rank"] <= p.rank_to), None)
        if prize is not None:
            winners.append({**row, "prize": prize.name, "unit_cost": str(prize.unit_cost)})
    last_winning_rank = max((w["rank"] for w in winners), default=0)
    alternates = [row for row in ranked if row["rank"] > last_winning_rank][:ALTERNATES]
    return {"final": snapshot.is_final, "winners": winners, "alternates": alternates}
