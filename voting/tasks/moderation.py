"""Celery entry point of moderation: the SMS telling a contestant why their entry was
rejected. Thin and idempotent; the argument is an id."""

from celery import shared_task

from voting.services.moderation import entry_rejection_notify


@shared_task(
    name="voting.tasks.entry_rejection_notify",
    # Not acks_late: the entry is claimed before the SMS goes out, so a redelivered
    # message sends nothing twice; a failed send clears the claim and retries.
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=30,
    time_limit=60,
)
def entry_rejection_notify_task(entry_id: int) -> bool:
    return entry_rejection_notify(entry_id=entry_id)
