"""Celery entry points of prize awards: thin, idempotent, arguments are ids."""

import logging

from celery import shared_task

from voting.services.awards import prize_award_notify

logger = logging.getLogger(__name__)


@shared_task(
    name="voting.tasks.prize_award_notify",
    # Not acks_late: the award is claimed before the SMS goes out, so a redelivered
    # message sends nothing twice; a failed send clears the claim and retries.
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=30,
    time_limit=60,
)
def prize_award_notify_task(award_id: int) -> bool:
    return prize_award_notify(award_id=award_id)
