import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from campaigns.models import Campaign
from reports.models import Report
from reports.selectors import reports_due_for_refresh
from reports.services import report_generate, report_refresh, report_request
from voting.selectors.contest import campaigns_due_for_closing
from voting.services.fraud_scan import fraud_scan_campaign
from voting.services.leaderboards import campaign_close

logger = logging.getLogger(__name__)


@shared_task(
    name="reports.tasks.report_generate",
    acks_late=True,  # a worker killed mid-report leaves the message for another one
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=540,
    time_limit=600,
)
def report_generate_task(report_id: int) -> None:
    if not Report.objects.filter(pk=report_id).exists():
        logger.info("report_generate: report %s is gone", report_id)
        return
    report_generate(report_id=report_id)


def close_cutoff() -> datetime:
    """Campaigns whose voting ended before this are closed: ``CAMPAIGN_CLOSE_DELAY_HOURS``
    after voting ends, so the last votes can be scanned (and reviewed) before the freeze."""
    return timezone.now() - timedelta(hours=settings.CAMPAIGN_CLOSE_DELAY_HOURS)


@shared_task(name="reports.tasks.campaigns_close_due", soft_time_limit=50, time_limit=60)
def campaigns_close_due() -> int:
    """Run by beat every minute: close campaigns whose voting ended, freeze their final
    standings, and request their post-campaign report."""
    ids = campaigns_due_for_closing(at=close_cutoff())
    for campaign_id in ids:
        campaign_close_task.delay(campaign_id)
    return len(ids)


@shared_task(
    name="reports.tasks.campaign_close",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=420,
    time_limit=480,
)
def campaign_close_task(campaign_id: int) -> None:
    campaign = Campaign.objects.select_related("pilot").filter(pk=campaign_id).first()
    if campaign is None:
        logger.info("campaign_close: campaign %s is gone", campaign_id)
        return
    if settings.CAMPAIGN_CLOSE_FRAUD_SCAN and campaign.status == Campaign.Status.OPEN:
        # A last scan before the freeze: what it flags is reviewed before the prizes
        # go out (a confirmed flag after the close revises the standing all the same).
        fraud_scan_campaign(campaign_id=campaign_id)
    if campaign_close(campaign_id=campaign_id, at=close_cutoff()):
        report_request(campaign=campaign)


@shared_task(name="reports.tasks.reports_refresh_due", soft_time_limit=120, time_limit=150)
def reports_refresh_due() -> int:
    """Run by beat every 10 minutes: recompute reports whose provisional verdict has
    matured, or whose campaign's final standing or prize awards changed since. Each gets
    a new version linked to the old one; the old one stays in the history."""
    due = reports_due_for_refresh(today=timezone.localdate())
    for report in due:
        report_refresh(report=report)
    return len(due)
