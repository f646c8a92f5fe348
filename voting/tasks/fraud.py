"""Celery entry points of the fraud signals: thin, idempotent, arguments are ids."""

import logging

from celery import shared_task

from campaigns.models import Campaign
from voting.services import fraud_scan

logger = logging.getLogger(__name__)


@shared_task(
    name="voting.tasks_fraud.fraud_scan_campaign",
    # Idempotent (flags are unique per pattern), so a redelivered or retried scan
    # changes nothing twice, and a worker killed mid-scan loses nothing.
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=300,
    time_limit=360,
)
def fraud_scan_campaign(campaign_id: int) -> int:
    """Scan one campaign; returns how many flags were created or changed."""
    if not Campaign.objects.filter(pk=campaign_id).exists():
        logger.info("fraud_scan_campaign: campaign %s is gone", campaign_id)
        return 0
    return len(fraud_scan.fraud_scan_campaign(campaign_id=campaign_id))


@shared_task(name="voting.tasks_fraud.fraud_scan_open", soft_time_limit=50, time_limit=60)
def fraud_scan_open() -> int:
    """Run by beat every 10 minutes: one scan task per campaign being voted on (or closed
    within the last few days)."""
    ids = fraud_scan.fraud_scan_campaign_ids()
    for campaign_id in ids:
        fraud_scan_campaign.delay(campaign_id)
    return len(ids)
