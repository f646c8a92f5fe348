"""Reads of the campaigns app: costs that belong to a campaign or a pilot."""

from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from campaigns.models import Campaign, Expense, Prize, School
from core.codes import new_code
from core.slugs import slug_from_text

ZERO = Decimal("0.00")
SLUG_MAX_LENGTH = Campaign._meta.get_field("slug").max_length


def campaign_slug_free(*, base: str, exclude_pk: int | None = None) -> str:
    """``base``, or ``base-2``, ``base-3``... : the first slug no other campaign has
    (slugs are unique across schools: the student site's URLs carry no school). The
    unique constraint still decides a race between two saves; this only picks a name."""
    taken = Campaign.objects.exclude(pk=exclude_pk) if exclude_pk else Campaign.objects
    slug, n = base[:SLUG_MAX_LENGTH], 2
    while taken.filter(slug=slug).exists():
        suffix = f"-{n}"
        slug, n = base[: SLUG_MAX_LENGTH - len(suffix)].rstrip("-") + suffix, n + 1
    return slug


def campaign_slug_for_title(*, title: str, exclude_pk: int | None = None) -> str:
    """A free slug from a title, pinyin for Chinese (core/slugs.py); a short random
    code where the title has nothing to spell (only emoji or punctuation)."""
    base = slug_from_text(title, max_length=SLUG_MAX_LENGTH - 4)  # room for "-999"
    if not base:
        base = f"campaign-{new_code(6).lower()}"
    return campaign_slug_free(base=base, exclude_pk=exclude_pk)


def pilot_campaigns_that_ran(*, pilot_id: int) -> QuerySet[Campaign]:
    """The pilot's campaigns that actually opened: open or closed, or archived after
    taking entries. A draft, or a campaign archived without ever running, carries none of
    the pilot's shared costs (docs/metrics.md "expenses")."""
    # Entries through the reverse relation: the voting app sits above this one.
    return (
        Campaign.objects.filter(pilot_id=pilot_id)
        .filter(
            Q(status__in=[Campaign.Status.OPEN, Campaign.Status.CLOSED])
            | Q(status=Campaign.Status.ARCHIVED, entries__isnull=False)
        )
        .distinct()
    )


def campaign_title_for_school(*, title: str, old_school: School, new_school: School) -> str:
    """A copied campaign's title with the old school's name replaced by the new one's
    ("北京大学最美跑者" → "浙江大学最美跑者"). Schools have one name, no short form, so a
    title naming "北大" is left for the person copying it to rename."""
    if not old_school.name:
        return title
    return title.replace(old_school.name, new_school.name)


def campaign_share_of_pilot(*, campaign: Campaign) -> Decimal:
    """The share of pilot-wide costs a campaign carries: split evenly over the pilot's
    campaigns that ran; a campaign that never ran carries none."""
    ran = list(pilot_campaigns_that_ran(pilot_id=campaign.pilot_id).values_list("pk", flat=True))
    if campaign.pk not in ran:
        return Decimal(0)
    return Decimal(1) / Decimal(len(ran))


def _campaign_expenses(campaign: Campaign) -> QuerySet[Expense]:
    # An expense belongs to the campaign it names even where an older row names another
    # pilot (refused since, docs/metrics.md): it must not vanish from both.
    return Expense.objects.filter(Q(campaign_id=campaign.pk) | Q(pilot_id=campaign.pilot_id))


def expenses_for_campaign(*, campaign: Campaign) -> Decimal:
    """Expenses booked on the campaign, plus its share of the pilot-wide ones."""
    totals = _campaign_expenses(campaign).aggregate(
        own=Sum("amount", filter=Q(campaign_id=campaign.pk)),
        pilot_wide=Sum("amount", filter=Q(campaign__isnull=True)),
    )
    own = totals["own"] or ZERO
    pilot_wide = totals["pilot_wide"] or ZERO
    return own + pilot_wide * campaign_share_of_pilot(campaign=campaign)


def expenses_for_pilot(*, pilot_id: int) -> Decimal:
    """Every expense of the pilot: its own rows and those booked on its campaigns."""
    return (
        Expense.objects.filter(Q(pilot_id=pilot_id) | Q(campaign__pilot_id=pilot_id)).aggregate(
            t=Sum("amount")
        )["t"]
        or ZERO
    )


def expenses_pilot_mismatched(*, campaign: Campaign) -> int:
    """Expenses booked on the campaign under another pilot (rows older than the check)."""
    return (
        Expense.objects.filter(campaign_id=campaign.pk).exclude(pilot_id=campaign.pilot_id).count()
    )


def expenses_by_category(*, campaign: Campaign) -> dict[str, Decimal]:
    share = campaign_share_of_pilot(campaign=campaign)
    rows = (
        _campaign_expenses(campaign)
        .filter(Q(campaign_id=campaign.pk) | Q(campaign__isnull=True))
        .values("category")
        .annotate(
            own=Sum("amount", filter=Q(campaign_id=campaign.pk)),
            pilot_wide=Sum("amount", filter=Q(campaign__isnull=True)),
        )
        .order_by("category")
    )
    return {
        row["category"]: (row["own"] or ZERO) + (row["pilot_wide"] or ZERO) * share for row in rows
    }


def prize_cost_awarded(*, campaign_id: int, ranked_entries_by_round: dict[int, int]) -> Decimal:
    """Cost of the prizes a standing awards: ``unit_cost × quantity`` for every rank of
    a prize's range that an entry holds. A prize without a round applies to each round.
    Used while a campaign has no prize awards yet (before it closes).

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
