"""Celery entry point of phone sign-in: the SMS carrying a one-time code.

The one task that takes more than ids: the code exists in clear nowhere but in this
message (the database keeps a keyed hash), so it travels in it, and the message expires
with the code (``expires``, set by the sender).
"""

import logging

from celery import shared_task

from core.sms import SmsError
from voting.services.sign_in import otp_sms_deliver

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="voting.tasks.otp_sms_send",
    # Losing the message loses a sign-in; sending twice only sends the same code twice.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
    soft_time_limit=30,
    time_limit=45,
)
def otp_sms_send(self, *, to: str, code: str, text: str) -> None:
    try:
        otp_sms_deliver(to=to, code=code, text=text)
    except SmsError as exc:
        if exc.retryable and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
        # Nothing else to do: the voter asks for a new code. Never log the code.
        logger.error("SMS to %s not sent: %s", to[:-8] + "****" + to[-4:], exc)
