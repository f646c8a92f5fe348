"""Leaderboard snapshots and the final standing frozen when a campaign closes."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.audit import audit_record
from campaigns.models import Campaign, Round
from core.public_cache import public_cache_bump
from voting.models import LeaderboardSnapshot
from voting.selectors.contest import campaign_round_ids, leaderboard_latest, round_standings
from voting.services.awards import prize_awards_sync, prize_awards_sync_campaign


def leaderboard_snapshot_create(*, round_id: int, final: bool = False) -> LeaderboardSnapshot:
    """Store the round's current standing, unless it equals the latest one.

    Safe to run twice or concurrently with itself: an unchanged standing writes nothing,
    and at most one final snapshot per round and revision exists (unique constraint).
    Once frozen, only ``leaderboard_final_revise`` (votes invalidated after the close)
    writes another final standing; disqualifying a winner after the freeze changes
    none, ``round_winners`` moves alternates up.
    """
    round_ = Round.objects.select_related("campaign").get(pk=round_id)
    # Once frozen, a round's standing stays frozen: later refreshes (after a vote is
    # invalidated, or a late beat tick) return it and write nothing.
    frozen = (
        LeaderboardSnapshot.objects.filter(round_id=round_id, is_final=True)
        .order_by("-revision")
        .first()
    )
    if frozen:
        return frozen
    standings = round_standings(round_id=round_id)
    total = sum(row["votes"] for row in standings)
    # The latest standing's JSON (one row per entry) is read only when its total matches:
    # after new votes it cannot be equal.
    latest = leaderboard_latest(round_id=round_id, deferred=("standings",))
    if (
        latest
        and latest.total_votes == total
        and latest.standings == standings
        and (latest.is_final or not final)
    ):
        return latest
    try:
        with transaction.atomic():
            public_cache_bump(campaign_id=round_.campaign_id)  # counts shown are the snapshot's
            return LeaderboardSnapshot.objects.create(
                campaign=round_.campaign,
                round=round_,
                computed_at=timezone.now(),
                total_votes=total,
                is_final=final,
                standings=standings,
            )
    except IntegrityError:
        # Another worker froze the final standing first.
        return LeaderboardSnapshot.objects.get(round_id=round_id, is_final=True, revision=0)


def leaderboard_final_revise(
    *, round_id: int, actor: Any, reason: str
) -> LeaderboardSnapshot | None:
    """Write a revised final standing of a frozen round from its valid votes now, beside
    the ones before it, saying who and why; None when the round is not frozen or its
    standing did not change. Two revisions at once collide on the unique (round,
    revision): the loser reads the new revision and compares again."""
    for _attempt in range(3):
        current = (
            LeaderboardSnapshot.objects.filter(round_id=round_id, is_final=True)
            .order_by("-revision")
            .first()
        )
        if current is None:
            return None
        standings = round_standings(round_id=round_id)
        if standings == current.standings:
            return None
        try:
            with transaction.atomic():
                public_cache_bump(campaign_id=current.campaign_id)
                return LeaderboardSnapshot.objects.create(
                    campaign_id=current.campaign_id,
                    round_id=round_id,
                    computed_at=timezone.now(),
                    total_votes=sum(row["votes"] for row in standings),
                    is_final=True,
                    revision=current.revision + 1,
                    revised_by=actor if getattr(actor, "pk", None) else None,
                    revision_reason=reason,
                    standings=standings,
                )
        except IntegrityError:
            continue
    raise RuntimeError(f"round {round_id}: could not write a revised final standing")


def campaign_final_revise(
    *, campaign_id: int, actor: Any, reason: str
) -> list[LeaderboardSnapshot]:
    """After votes of a closed campaign were invalidated: revise each round's final
    standing, re-award its prizes (``prize_awards_sync``) and audit who and why. The
    report follows: beat recomputes a campaign's report once its standing or awards
    changed after it (reports.tasks.reports_refresh_due)."""
    with transaction.atomic():
        revised = [
            snapshot
            for round_id in campaign_round_ids(campaign_id=campaign_id)
            if (snapshot := leaderboard_final_revise(round_id=round_id, actor=actor, reason=reason))
        ]
        if revised:
            campaign = Campaign.objects.select_related("pilot").get(pk=campaign_id)
            audit_record(
                actor=actor,
                action="leaderboard.final_revise",
                target=campaign,
                reason=reason,
                data={
                    "rounds": {str(s.round_id): s.revision for s in revised},
                    "snapshots": [s.pk for s in revised],
                },
            )
            for snapshot in revised:
                prize_awards_sync(round_id=snapshot.round_id, actor=actor, reason=reason)
    return revised


def leaderboard_refresh_campaign(
    *, campaign_id: int, final: bool = False
) -> list[LeaderboardSnapshot]:
    return [
        leaderboard_snapshot_create(round_id=round_id, final=final)
        for round_id in campaign_round_ids(campaign_id=campaign_id)
    ]


def campaign_close(*, campaign_id: int, at: datetime | None = None) -> bool:
    """Close a campaign whose voting has ended and freeze each round's final standing.

    Returns whether this call closed it. Safe to repeat: the status only moves from
    open by a conditional UPDATE, and a round's final standing is written once.
    """
    at = at or timezone.now()
    closed_now = bool(
        Campaign.objects.filter(
            pk=campaign_id, status=Campaign.Status.OPEN, voting_ends_at__lte=at
        ).update(status=Campaign.Status.CLOSED)
    )
    if closed_now:
        public_cache_bump(campaign_id=campaign_id, listing=True)  # off the open list
    if Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.CLOSED).exists():
        leaderboard_refresh_campaign(campaign_id=campaign_id, final=True)
        # Award the prizes of the frozen standings (safe to repeat: awards that exist
        # are kept).
        prize_awards_sync_campaign(campaign_id=campaign_id)
    return closed_now


def leaderboards_refresh_request(*, campaign_ids: Iterable[int]) -> None:
    """Recompute the campaigns' leaderboards in a worker, once the caller's transaction
    commits (a rolled-back change enqueues nothing)."""
    # Imported here: the tasks import this module at their top (docs/architecture.md).
    from voting.tasks.leaderboards import leaderboard_refresh

    for campaign_id in campaign_ids:
        transaction.on_commit(lambda pk=campaign_id: leaderboard_refresh.delay(pk))
