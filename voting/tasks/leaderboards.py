"""Celery entry points of the leaderboards: thin, idempotent, arguments are ids."""

import logging

from celery import shared_task

from campaigns.models import Campaign
from voting.selectors.contest import open_campaign_ids
from voting.services.leaderboards import leaderboard_refresh_campaign

logger = logging.getLogger(__name__)


@shared_task(
    name="voting.tasks.leaderboard_refresh",
    acks_late=True,  # idempotent: a redelivered refresh stores nothing new
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=120,
    time_limit=150,
)
def leaderboard_refresh(campaign_id: int, final: bool = False) -> list[int]:
    if not Campaign.objects.filter(pk=campaign_id).exists():
        logger.info("leaderboard_refresh: campaign %s is gone", campaign_id)
        return []
    snapshots = leaderboard_refresh_campaign(campaign_id=campaign_id, final=final)
    return [s.pk for s in snapshots]


@shared_task(name="voting.tasks.leaderboards_refresh_open", soft_time_limit=50, time_limit=60)
def leaderboards_refresh_open() -> int:
    """Run by beat every minute: one refresh task per campaign being voted on."""
    ids = open_campaign_ids()
    for campaign_id in ids:
        leaderboard_refresh.delay(campaign_id)
    return len(ids)
