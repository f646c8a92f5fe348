"""Celery entry points of the campaigns app: thin, idempotent, arguments are ids."""

import logging

from celery import shared_task

from campaigns.rosters import cleanup, previews
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


@shared_task(name="campaigns.tasks.import_files_sweep", soft_time_limit=240, time_limit=300)
def import_files_sweep() -> dict[str, int]:
    """Run by beat every hour: previews and finished jobs' parsed sheets past their age."""
    return cleanup.import_files_sweep()


@shared_task(
    name="campaigns.tasks.import_preview_run",
    # A dry run writes nothing, and only a job still previewing is run: safe to redeliver.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=2,
    soft_time_limit=30 * 60,
    time_limit=35 * 60,
)
def import_preview_run(job_id: int) -> str | None:
    job = previews.import_preview_job_execute(job_id=job_id)
    return job.status if job is not None else None
