import logging

from celery import shared_task

from .models import Report
from .services import report_generate

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
