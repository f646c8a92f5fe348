import logging

from celery import shared_task

from campaigns.models import Campaign
from reports.models import Report
from reports.services import report_generate, report_request
from voting.selectors.contest import campaigns_due_for_closing
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


@shared_task(name="reports.tasks.campaigns_close_due", soft_time_limit=50, time_limit=60)
def campaigns_close_due() -> int:
    """Run by beat every minute: close campaigns whose voting ended, freeze their final
    standings, and request their post-campaign report."""
    ids = campaigns_due_for_closing()
    for campaign_id in ids:
        campaign_close_task.delay(campaign_id)
    return len(ids)


@shared_task(
    name="reports.tasks.campaign_close",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=120,
    time_limit=150,
)
def campaign_close_task(campaign_id: int) -> None:
    campaign = Campaign.objects.select_related("pilot").filter(pk=campaign_id).first()
    if campaign is None:
        logger.info("campaign_close: campaign %s is gone", campaign_id)
        return
    if campaign_close(campaign_id=campaign_id):
        report_request(campaign=campaign)
