"""Celery entry points of the campaigns app: thin, idempotent, arguments are ids."""

import logging

from celery import shared_task

from campaigns.rosters.service import import_job_execute

logger = logging.getLogger(__name__)


@shared_task(
    name="campaigns.tasks.import_job_run",
    # Safe to redeliver: a killed worker's transaction rolled back, a finished job is
    # left alone, and importing the same rows again changes nothing (natural keys).
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=2,
    soft_time_limit=30 * 60,
    time_limit=35 * 60,
)
def import_job_run(job_id: int) -> str | None:
    job = import_job_execute(job_id=job_id)
    return job.status if job is not None else None
