import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from campaigns.models import Campaign
from reports.models import Report
from reports.selectors import campaigns_missing_close_report, reports_due_for_refresh
from reports.services import (
    campaign_close_with_report,
    report_fail,
    report_generate,
    report_refresh,
    reports_sweep,
)
from voting.selectors.contest import campaigns_due_for_closing
from voting.services.fraud_scan import fraud_scan_campaign

logger = logging.getLogger(__name__)

# First wait before an errored long task runs again; doubled on each retry.
RETRY_BACKOFF_SECONDS = 5


@shared_task(
    bind=True,
    name="reports.tasks.report_generate",
    # A child killed mid-report gives its message back (reject_on_worker_lost); a whole
    # worker killed on the filesystem broker loses it, and reports_sweep sends it again.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=2,
    soft_time_limit=540,
    time_limit=600,
)
def report_generate_task(self, report_id: int) -> None:
    if not Report.objects.filter(pk=report_id).exists():
        logger.info("report_generate: report %s is gone", report_id)
        return
    try:
        report_generate(report_id=report_id)
    except Exception as exc:
        if self.request.retries < self.max_retries:
            countdown = RETRY_BACKOFF_SECONDS * 2**self.request.retries
            raise self.retry(exc=exc, countdown=countdown) from exc
        # Out of retries: the reason is shown in admin, where staff can retry it.
        logger.exception("report %s failed", report_id)
        report_fail(report_id=report_id, error=f"{type(exc).__name__}: {exc}"[:2000])


@shared_task(name="reports.tasks.reports_sweep", soft_time_limit=50, time_limit=60)
def reports_sweep_task() -> dict[str, list[int]]:
    """Run by beat every minute: send reports with a stale heartbeat again."""
    result = reports_sweep()
    return {"requeued": result.requeued, "failed": result.failed}


def close_cutoff() -> datetime:
    """Campaigns whose voting ended before this are closed: ``CAMPAIGN_CLOSE_DELAY_HOURS``
    after voting ends, so the last votes can be scanned (and reviewed) before the freeze."""
    return timezone.now() - timedelta(hours=settings.CAMPAIGN_CLOSE_DELAY_HOURS)


@shared_task(name="reports.tasks.campaigns_close_due", soft_time_limit=50, time_limit=60)
def campaigns_close_due() -> int:
    """Run by beat every minute: close campaigns whose voting ended, freeze their final
    standings, and request their post-campaign report; also request the report of closed
    campaigns that have none (closed by hand, or by an older release)."""
    ids = sorted(
        set(campaigns_due_for_closing(at=close_cutoff())) | set(campaigns_missing_close_report())
    )
    for campaign_id in ids:
        campaign_close_task.delay(campaign_id)
    return len(ids)


@shared_task(
    name="reports.tasks.campaign_close",
    # One transaction (campaign_close_with_report): a killed worker leaves nothing done,
    # and the redelivered message, or the next minute's campaigns_close_due, does it all.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=420,
    time_limit=480,
)
def campaign_close_task(campaign_id: int) -> None:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        logger.info("campaign_close: campaign %s is gone", campaign_id)
        return
    if settings.CAMPAIGN_CLOSE_FRAUD_SCAN and campaign.status == Campaign.Status.OPEN:
        # A last scan before the freeze: what it flags is reviewed before the prizes
        # go out (a confirmed flag after the close revises the standing all the same).
        fraud_scan_campaign(campaign_id=campaign_id)
    campaign_close_with_report(campaign_id=campaign_id, at=close_cutoff())


@shared_task(name="reports.tasks.reports_refresh_due", soft_time_limit=120, time_limit=150)
def reports_refresh_due() -> int:
    """Run by beat every 10 minutes: recompute reports whose provisional verdict has
    matured, or whose campaign's final standing or prize awards changed since. Each gets
    a new version linked to the old one; the old one stays in the history."""
    due = reports_due_for_refresh(today=timezone.localdate())
    for report in due:
        report_refresh(report=report)
    return len(due)
