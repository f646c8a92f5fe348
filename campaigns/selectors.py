"""Reads of the campaigns app: costs that belong to a campaign or a pilot."""

from decimal import Decimal

from django.db.models import Q, Sum

from campaigns.models import Campaign, Expense, Prize

ZERO = Decimal("0.00")


def campaign_share_of_pilot(*, campaign: Campaign) -> Decimal:
    """The share of pilot-wide costs a campaign carries: split evenly over the pilot's
    campaigns that were not archived before running (docs/metrics.md)."""
    n = campaign.pilot.campaigns.count()
    return Decimal(1) / Decimal(n) if n else Decimal(1)


def expenses_for_campaign(*, campaign: Campaign) -> Decimal:
    """Expenses booked on the campaign, plus its share of the pilot-wide ones."""
    totals = Expense.objects.filter(pilot_id=campaign.pilot_id).aggregate(
        own=Sum("amount", filter=Q(campaign_id=campaign.pk)),
        pilot_wide=Sum("amount", filter=Q(campaign__isnull=True)),
    )
    own = totals["own"] or ZERO
    pilot_wide = totals["pilot_wide"] or ZERO
    return own + pilot_wide * campaign_share_of_pilot(campaign=campaign)


def expenses_for_pilot(*, pilot_id: int) -> Decimal:
    return Expense.objects.filter(pilot_id=pilot_id).aggregate(t=Sum("amount"))["t"] or ZERO


def expenses_by_category(*, campaign: Campaign) -> dict[str, Decimal]:
    share = campaign_share_of_pilot(campaign=campaign)
    rows = (
        Expense.objects.filter(pilot_id=campaign.pilot_id)
        .filter(Q(campaign_id=campaign.pk) | Q(campaign__isnull=True))
        .values("category")
        .annotate(
            own=Sum("amount", filter=Q(campaign_id=campaign.pk)),
            pilot_wide=Sum("amount", filter=Q(campaign__isnull=True)),
        )
    )
    return {
        row["category"]: (row["own"] or ZERO) + (row["pilot_wide"] or ZERO) * share for row in rows
    }


def prize_cost_awarded(*, campaign_id: int, ranked_entries_by_round: dict[int, int]) -> Decimal:
    """Cost of the prizes the standing awards: ``unit_cost × quantity`` for every rank of
    a prize's range that an entry holds. A prize without a round applies to each round.

    ``ranked_entries_by_round`` maps a round id to how many entries its standing ranks.
    """
    total = ZERO
    for prize in Prize.objects.filter(campaign_id=campaign_id):
        rounds = [prize.round_id] if prize.round_id else list(ranked_entries_by_round)
        for round_id in rounds:
            ranked = ranked_entries_by_round.get(round_id, 0)
            awarded_ranks = max(0, min(prize.rank_to, ranked) - prize.rank_from + 1)
            total += prize.unit_cost * prize.quantity * awarded_ranks
    return total
