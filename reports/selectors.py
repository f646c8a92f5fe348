"""Reads of the reports app: which stored reports are out of date, which closed
campaigns lack their report."""

from datetime import date

from django.db.models import Exists, Max, OuterRef, Subquery

from campaigns.models import Campaign
from reports.models import Report
from voting.models import LeaderboardSnapshot, PrizeAward


def _latest_of(subject: str) -> Exists:
    """Whether a later report (in any state) of the same campaign or pilot exists."""
    if subject == "campaign":
        later = Report.objects.filter(campaign_id=OuterRef("campaign_id"))
    else:
        later = Report.objects.filter(campaign__isnull=True, pilot_id=OuterRef("pilot_id"))
    return Exists(later.filter(pk__gt=OuterRef("pk")))


def _max_of(queryset, field: str) -> Subquery:
    return Subquery(queryset.order_by().values("campaign_id").annotate(m=Max(field)).values("m"))


def reports_due_for_refresh(*, today: date) -> list[Report]:
    """The latest report of each campaign or pilot, when finished and out of date:

    - its verdict was provisional and has matured since (``matures_on`` ≤ today);
    - or (campaign reports) the campaign's final standing was revised, or its prize
      awards changed, after the report was requested.

    A subject whose latest report is still pending or running is left to it, so beat
    asks once.
    """
    revised_at = _max_of(
        LeaderboardSnapshot.objects.filter(campaign_id=OuterRef("campaign_id"), revision__gt=0),
        "computed_at",
    )
    awards_at = _max_of(
        PrizeAward.objects.filter(campaign_id=OuterRef("campaign_id")), "updated_at"
    )
    campaign_reports = (
        Report.objects.filter(status=Report.Status.DONE, campaign__isnull=False)
        .exclude(_latest_of("campaign"))
        .annotate(revised_at=revised_at, awards_at=awards_at)
        .select_related("campaign__pilot__school")
    )
    due = [
        report
        for report in campaign_reports
        if (report.provisional and report.matures_on and report.matures_on <= today)
        or any(at and at > report.requested_at for at in (report.revised_at, report.awards_at))
    ]
    # Pilot reports: once matured (a pilot's report is asked for by staff otherwise).
    due.extend(
        Report.objects.filter(
            status=Report.Status.DONE,
            campaign__isnull=True,
            provisional=True,
            matures_on__lte=today,
        )
        .exclude(_latest_of("pilot"))
        .select_related("pilot__school")
    )
    return due


def campaigns_missing_close_report() -> list[int]:
    """Closed campaigns whose post-campaign report was never requested: closed by hand
    in admin, or closed before the close and the request were one transaction."""
    close_report = Report.objects.filter(campaign=OuterRef("pk"), on_close=True)
    return list(
        Campaign.objects.filter(status=Campaign.Status.CLOSED)
        .exclude(Exists(close_report))
        .values_list("id", flat=True)
    )
