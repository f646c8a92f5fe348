"""Reads of prize awards: a campaign's awards and what its prizes cost."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum

from voting.models import PrizeAward

ZERO = Decimal("0.00")
State = PrizeAward.State


@dataclass(frozen=True)
class PrizeCost:
    """What a campaign's prizes cost by its awards (docs/metrics.md "prizes").

    ``value`` counts the handed-out prizes; while none is recorded, the live awarded
    ones, and ``basis`` says which ("handed_out" or "awarded")."""

    value: Decimal
    basis: str
    handed_out: int
    awarded: int  # live awards not handed out yet (awarded or contacted)
    pending_value: Decimal  # what those would cost


def awards_for_campaign(*, campaign_id: int) -> QuerySet[PrizeAward]:
    return PrizeAward.objects.filter(campaign_id=campaign_id).select_related(
        "entry", "prize", "round", "replaces__entry", "contacted_by", "handed_out_by", "closed_by"
    )


def prize_cost_from_awards(*, campaign_id: int) -> PrizeCost | None:
    """The prize cost of a campaign by its awards, or None before it has any."""
    cost = ExpressionWrapper(
        F("unit_cost") * F("quantity"), output_field=DecimalField(max_digits=14, decimal_places=2)
    )
    pending = Q(state__in=[State.AWARDED, State.CONTACTED])
    totals = PrizeAward.objects.filter(campaign_id=campaign_id).aggregate(
        n=Count("pk"),
        handed_out=Count("pk", filter=Q(state=State.HANDED_OUT)),
        handed_out_value=Sum(cost, filter=Q(state=State.HANDED_OUT)),
        awarded=Count("pk", filter=pending),
        awarded_value=Sum(cost, filter=pending),
    )
    if not totals["n"]:
        return None
    handed_out_value = totals["handed_out_value"] or ZERO
    awarded_value = totals["awarded_value"] or ZERO
    if totals["handed_out"]:
        value, basis = handed_out_value, "handed_out"
    else:
        value, basis = awarded_value, "awarded"
    return PrizeCost(
        value=value,
        basis=basis,
        handed_out=totals["handed_out"],
        awarded=totals["awarded"],
        pending_value=awarded_value,
    )
