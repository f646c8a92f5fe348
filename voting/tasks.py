"""Celery entry points of the voting app: thin, idempotent, arguments are ids."""

import logging

from celery import shared_task

from campaigns.models import Campaign

from . import services

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
    snapshots = services.leaderboard_refresh_campaign(campaign_id=campaign_id, final=final)
    return [s.pk for s in snapshots]


@shared_task(name="voting.tasks.leaderboards_refresh_open", soft_time_limit=50, time_limit=60)
def leaderboards_refresh_open() -> int:
    """Run by beat every minute: one refresh task per campaign being voted on."""
    ids = services.open_campaign_ids()
    for campaign_id in ids:
        leaderboard_refresh.delay(campaign_id)
    return len(ids)


# Registered here because autodiscover_tasks() imports only tasks.py.
from .tasks_fraud import fraud_scan_campaign, fraud_scan_open  # noqa: E402,F401
from .tasks_photos import (  # noqa: E402,F401
    entry_derivatives_generate,
    entry_media_check,
    entry_media_check_campaign,
    entry_poster_generate,
)
