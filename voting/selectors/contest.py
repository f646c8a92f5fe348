"""Reads of the contest: standings, snapshots, winners, and which campaigns move."""

from datetime import datetime, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone

from campaigns.models import Campaign, Prize, Round
from voting.models import Entry, LeaderboardSnapshot, PrizeAward, Vote


def round_standings(*, round_id: int) -> list[dict]:
    """Approved entries of a round ranked by valid votes.

    A tie goes to the entry that reached its count first: the one whose latest valid
    vote is older. Entries without votes follow, oldest entry first.

    The votes are counted by one GROUP BY over the round's valid votes, which PostgreSQL
    runs as a parallel scan whatever state the table is in: the shape of the lower bound
    in bench/bench_reports.py. Per-entry subqueries over the (entry, status, cast_at)
    index were as fast only while the visibility map covered the table; on freshly
    written pages each index-only scan turned into heap visits, about 8x slower.
    """
    counted = (
        Vote.objects.filter(
            status=Vote.Status.VALID,
            entry__round_id=round_id,
            entry__status=Entry.Status.APPROVED,
        )
        .order_by()
        .values("entry_id")
        .annotate(n=Count("*"), reached_at=Max("cast_at"))
    )
    votes = {row["entry_id"]: (row["n"], row["reached_at"]) for row in counted}
    entries = (
        Entry.objects.filter(round_id=round_id, status=Entry.Status.APPROVED)
        .order_by()  # ranked below; the model's ordering would join campaign and round
        .values_list("id", "name")
    )

    def standing(entry: tuple[int, str]) -> tuple:
        n, reached_at = votes.get(entry[0], (0, None))
        # Entries without votes (no reached_at) compare only among themselves: by id.
        return (-n, reached_at is None, reached_at, entry[0])

    ranked = sorted(entries, key=standing)
    return [
        {"rank": rank, "entry_id": entry_id, "name": name, "votes": votes.get(entry_id, (0,))[0]}
        for rank, (entry_id, name) in enumerate(ranked, start=1)
    ]


def leaderboard_latest(
    *, round_id: int, deferred: tuple[str, ...] = ()
) -> LeaderboardSnapshot | None:
    """The final standing in force once frozen (its latest revision), otherwise the
    newest snapshot (``deferred`` fields are read when first used)."""
    return (
        LeaderboardSnapshot.objects.filter(round_id=round_id)
        .order_by("-is_final", "-revision", "-computed_at", "-pk")
        .defer(*deferred)
        .first()
    )


def final_standings(*, round_id: int) -> list[LeaderboardSnapshot]:
    """Every final standing of a round, the first frozen one first, then its revisions."""
    return list(
        LeaderboardSnapshot.objects.filter(round_id=round_id, is_final=True)
        .select_related("revised_by")
        .order_by("revision")
    )


def campaign_round_ids(*, campaign_id: int) -> list[int]:
    return list(Round.objects.filter(campaign_id=campaign_id).values_list("id", flat=True))


# How many entries wait in line after the winners, should a winner forfeit or be
# disqualified.
ALTERNATES = 3


def round_winners(*, round_id: int) -> dict:
    """Winners of a round with their prizes, and the alternates next in line.

    Read from the final standing in force (or the latest snapshot before closing):

    - entries disqualified since are dropped and everyone below moves up (the standing
      without them is what the contest would have been);
    - a winner who *forfeited* their prize (``PrizeAward``) keeps their rank but not the
      prize: it passes to the first alternate, and the others keep theirs.

    Each winner carries ``prize_id`` and, when they step in for a forfeit, ``replaces``
    (the entry id they take over from). ``prize_awards_sync`` makes the awards match.
    """
    snapshot = leaderboard_latest(round_id=round_id)
    if snapshot is None:
        return {"final": False, "revision": 0, "winners": [], "alternates": []}
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
    prizes = list(
        Prize.objects.filter(campaign_id=round_.campaign_id)
        .filter(Q(round_id=round_id) | Q(round__isnull=True))
        .order_by("rank_from", "pk")
    )
    forfeited = set(
        PrizeAward.objects.filter(round_id=round_id, state=PrizeAward.State.FORFEITED).values_list(
            "entry_id", flat=True
        )
    )
    slots = []
    for row in ranked:
        prize = next((p for p in prizes if p.rank_from <= row["rank"] <= p.rank_to), None)
        if prize is not None:
            slots.append((row, prize))
    last_winning_rank = max((row["rank"] for row, _ in slots), default=0)
    queue = [
        row
        for row in ranked
        if row["rank"] > last_winning_rank and row["entry_id"] not in forfeited
    ]
    winners = []
    for row, prize in slots:
        won = {
            "prize_id": prize.pk,
            "prize": prize.name,
            "unit_cost": str(prize.unit_cost),
            "quantity": prize.quantity,
        }
        if row["entry_id"] not in forfeited:
            winners.append({**row, **won})
        elif queue:  # the prize passes to the next alternate
            winners.append({**queue.pop(0), **won, "replaces": row["entry_id"]})
    return {
        "final": snapshot.is_final,
        "revision": snapshot.revision,
        "snapshot_id": snapshot.pk,
        "winners": winners,
        "alternates": queue[:ALTERNATES],
    }


def open_campaign_ids(*, at: datetime | None = None) -> list[int]:
    """Campaigns whose leaderboards move: open, and voting has started (with a grace
    period after closing so the last votes land in a snapshot)."""
    at = at or timezone.now()
    grace = timedelta(minutes=5)
    return list(
        Campaign.objects.filter(
            Q(status=Campaign.Status.OPEN),
            voting_starts_at__lte=at,
            voting_ends_at__gte=at - grace,
        ).values_list("id", flat=True)
    )


def campaigns_due_for_closing(*, at: datetime | None = None) -> list[int]:
    """Open campaigns whose voting has ended, and closed ones still missing a final
    standing (closed by hand in admin, or a worker died before freezing it)."""
    at = at or timezone.now()
    unfrozen = Round.objects.filter(campaign=OuterRef("pk")).exclude(
        leaderboard_snapshots__is_final=True
    )
    return list(
        Campaign.objects.filter(
            Q(status=Campaign.Status.OPEN, voting_ends_at__lte=at)
            | Q(Exists(unfrozen), status=Campaign.Status.CLOSED)
        ).values_list("id", flat=True)
    )
