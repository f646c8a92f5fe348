"""Celery entry point of traffic: writing the buffered visits in batches."""

from celery import shared_task

from voting.services import traffic as services


@shared_task(
    name="voting.visits_flush",
    acks_late=True,  # idempotent: rows already stored are ignored, claims are re-taken
    soft_time_limit=120,
    time_limit=180,
)
def visits_flush() -> int:
    return services.visits_flush()
