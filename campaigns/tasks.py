"""Celery entry points of the campaigns app: thin, idempotent, arguments are ids."""

import logging

from celery import shared_task

from campaigns.rosters import cleanup, previews
from campaigns.rosters.service import import_job_execute, import_job_fail, import_jobs_sweep

logger = logging.getLogger(__name__)

# First wait before an errored long task runs again; doubled on each retry.
RETRY_BACKOFF_SECONDS = 5


@shared_task(
    bind=True,
    name="campaigns.tasks.import_job_run",
    # Safe to redeliver: a killed worker's transaction rolled back, a finished job is
    # left alone, and importing the same rows again changes nothing (natural keys). A
    # child killed mid-job gives its message back (reject_on_worker_lost); a whole
    # worker killed on the filesystem broker loses it, and the sweep below sends it again.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=2,
    soft_time_limit=30 * 60,
    time_limit=35 * 60,
)
def import_job_run(self, job_id: int) -> str | None:
    try:
        job = import_job_execute(job_id=job_id)
    except Exception as exc:
        # A bug or an outage, not a bad row: retried, then shown in admin as the reason.
        if self.request.retries < self.max_retries:
            countdown = RETRY_BACKOFF_SECONDS * 2**self.request.retries
            raise self.retry(exc=exc, countdown=countdown) from exc
        logger.exception("import job %s failed", job_id)
        import_job_fail(job_id=job_id, error=f"{type(exc).__name__}: {exc}"[:2000])
        return None
    return job.status if job is not None else None


@shared_task(name="campaigns.tasks.import_jobs_sweep", soft_time_limit=50, time_limit=60)
def import_jobs_sweep_task() -> dict[str, list[int]]:
    """Run by beat every minute: send import jobs with a stale heartbeat again."""
    result = import_jobs_sweep()
    return {"requeued": result.requeued, "failed": result.failed}


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
