"""What the pilot and campaign pages show above their forms (home/templatetags/
home_panels.py, home/templates/admin/home/_*_panel.html): the rows linked to them, the
money spent, the standing, the reports, with links into the admin and the student site.

Reads only; a few queries each, whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.urls import reverse

from campaigns.models import Campaign, Pilot
from campaigns.rules import is_ops
from campaigns.selectors import expenses_for_pilot
from home.selectors import fraud_flags_open
from reports.models import Report
from voting.models import Entry, LeaderboardSnapshot, PrizeAward
from voting.selectors.contest import leaderboard_latest

REPORTS_SHOWN = 5
STANDING_SHOWN = 5
ZERO = Decimal("0.00")


def report_request_url(**target: int) -> str:
    """The page that requests a report of a campaign or pilot (``campaign=<pk>`` or
    ``pilot=<pk>``: the admin's add form takes initial values from the query)."""
    return reverse("admin:reports_report_add") + "?" + urlencode(target)


def _changelist(label: str, **query: Any) -> str:
    return reverse(f"admin:{label}_changelist") + "?" + urlencode(query)


@dataclass(frozen=True)
class Spend:
    expenses: Decimal
    prizes: Decimal
    budget: Decimal

    @property
    def total(self) -> Decimal:
        return self.expenses + self.prizes

    @property
    def percent(self) -> int | None:
        """Share of the budget spent, in whole percent; None without a budget."""
        if self.budget <= 0:
            return None
        return int(self.total * 100 / self.budget)

    @property
    def over(self) -> bool:
        return self.budget > 0 and self.total > self.budget

    @property
    def bar_value(self) -> int:
        return min(self.percent or 0, 100)


@dataclass
class PilotPanel:
    campaigns: list[dict]
    spend: Spend
    reports: list[Report]
    reports_url: str
    expenses_url: str
    request_report_url: str | None
    campaigns_url: str


@dataclass
class CampaignPanel:
    entries_by_status: dict[str, int]
    entries_total: int
    pending_url: str
    entries_url: str
    snapshot: LeaderboardSnapshot | None
    standing: list[dict] = field(default_factory=list)
    report: Report | None = None
    reports_url: str = ""
    request_report_url: str | None = None
    site_url: str | None = None
    fraud_open: int | None = None
    fraud_url: str = ""


def prizes_awarded_cost(*, pilot_id: int) -> Decimal:
    """Prizes awarded and not forfeited or revoked (what the pilot owes or gave)."""
    cost = ExpressionWrapper(
        F("unit_cost") * F("quantity"), output_field=DecimalField(max_digits=14, decimal_places=2)
    )
    total = PrizeAward.objects.filter(
        campaign__pilot_id=pilot_id, state__in=PrizeAward.LIVE
    ).aggregate(t=Sum(cost))["t"]
    return total or ZERO


def pilot_panel(*, pilot: Pilot, user) -> PilotPanel:
    campaigns = [
        {**row, "url": reverse("admin:campaigns_campaign_change", args=[row["pk"]])}
        for row in pilot.campaigns.order_by("-voting_starts_at", "-pk").values(
            "pk", "title", "status", "voting_starts_at", "voting_ends_at"
        )
    ]
    labels = dict(Campaign.Status.choices)
    for row in campaigns:
        row["status_label"] = labels.get(row["status"], row["status"])
    reports = list(
        Report.objects.filter(Q(pilot_id=pilot.pk) | Q(campaign__pilot_id=pilot.pk))
        .select_related("campaign")
        .defer("data")
        .order_by("-requested_at", "-pk")[:REPORTS_SHOWN]
    )
    return PilotPanel(
        campaigns=campaigns,
        spend=Spend(
            expenses=expenses_for_pilot(pilot_id=pilot.pk),
            prizes=prizes_awarded_cost(pilot_id=pilot.pk),
            budget=pilot.budget,
        ),
        reports=reports,
        reports_url=_changelist("reports_report", pilot__id__exact=pilot.pk),
        expenses_url=_changelist("campaigns_expense", pilot__id__exact=pilot.pk),
        campaigns_url=_changelist("campaigns_campaign", pilot__id__exact=pilot.pk),
        request_report_url=(
            report_request_url(pilot=pilot.pk) if user.has_perm("reports.add_report") else None
        ),
    )


def campaign_panel(*, campaign: Campaign, user) -> CampaignPanel:
    counts = dict(
        Entry.objects.filter(campaign_id=campaign.pk)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    entries_by_status = {status: counts.get(status, 0) for status in Entry.Status.values}
    newest = (
        LeaderboardSnapshot.objects.filter(campaign_id=campaign.pk)
        .order_by("-computed_at", "-pk")
        .values_list("round_id", flat=True)
        .first()
    )
    snapshot = leaderboard_latest(round_id=newest) if newest else None
    standing = []
    if snapshot is not None:
        for row in (snapshot.standings or [])[:STANDING_SHOWN]:
            entry_id = row.get("entry_id")
            if not isinstance(entry_id, int):
                continue
            standing.append(
                {
                    **row,
                    "url": reverse("admin:voting_entry_change", args=[entry_id]),
                    "poster_url": reverse("admin:voting_entry_poster", args=[entry_id]),
                }
            )
    report = (
        Report.objects.filter(campaign_id=campaign.pk)
        .defer("data")
        .order_by("-requested_at", "-pk")
        .first()
    )
    ops = is_ops(user)
    panel = CampaignPanel(
        entries_by_status=entries_by_status,
        entries_total=sum(entries_by_status.values()),
        pending_url=_changelist(
            "voting_entry", campaign__id__exact=campaign.pk, status__exact=Entry.Status.PENDING
        ),
        entries_url=_changelist("voting_entry", campaign__id__exact=campaign.pk),
        snapshot=snapshot,
        standing=standing,
        report=report,
        reports_url=_changelist("reports_report", campaign__id__exact=campaign.pk),
        request_report_url=(
            report_request_url(campaign=campaign.pk)
            if user.has_perm("reports.add_report")
            else None
        ),
        # A draft is not on the student site yet (its page answers "not found").
        site_url=(
            reverse("web:campaign", args=[campaign.slug])
            if campaign.status != Campaign.Status.DRAFT
            else None
        ),
    )
    if ops:
        panel.fraud_open = fraud_flags_open(campaign_id=campaign.pk).total
        panel.fraud_url = _changelist(
            "voting_fraudflag", campaign__id__exact=campaign.pk, status__exact="open"
        )
    return panel
