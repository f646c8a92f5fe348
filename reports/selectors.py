"""Reads of the reports app."""

from django.db.models import Exists, OuterRef

from campaigns.models import Campaign
from reports.models import Report


def campaigns_missing_close_report() -> list[int]:
    """Closed campaigns whose post-campaign report was never requested: closed by hand
    in admin, or closed before the close and the request were one transaction."""
    close_report = Report.objects.filter(campaign=OuterRef("pk"), on_close=True)
    return list(
        Campaign.objects.filter(status=Campaign.Status.CLOSED)
        .exclude(Exists(close_report))
        .values_list("id", flat=True)
    )
