"""Celery entry points of entry photos: thumbnails and share posters. Thin and
idempotent (the services name every file after its inputs); arguments are ids."""

import logging

from celery import shared_task

from voting.services import photos as services

logger = logging.getLogger(__name__)


@shared_task(
    name="voting.tasks_photos.entry_derivatives_generate",
    acks_late=True,  # idempotent: a redelivered task finds the thumbnails current
    autoretry_for=(OSError,),  # storage hiccups; a bad photo is logged, not retried
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=60,
    time_limit=90,
)
def entry_derivatives_generate(entry_id: int) -> list[str]:
    return services.entry_derivatives_generate(entry_id=entry_id)


@shared_task(
    name="voting.tasks_photos.entry_poster_generate",
    acks_late=True,  # idempotent: the poster's name is a digest of what it shows
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=60,
    time_limit=90,
)
def entry_poster_generate(entry_id: int) -> str | None:
    return services.entry_poster_generate(entry_id=entry_id)


@shared_task(
    name="voting.tasks_photos.entry_media_check_campaign",
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
)
def entry_media_check_campaign(campaign_id: int) -> dict[str, int]:
    return services.entry_media_check_campaign(campaign_id=campaign_id)


@shared_task(name="voting.tasks_photos.entry_media_check", soft_time_limit=50, time_limit=60)
def entry_media_check() -> int:
    """Run by beat: one check per draft or open campaign, so that a thumbnail or poster
    lost (a killed worker, a restored backup without media) is drawn again."""
    ids = services.campaign_ids_for_media_check()
    for campaign_id in ids:
        entry_media_check_campaign.delay(campaign_id)
    return len(ids)
