"""A worker SIGKILLed mid-report, then replaced, still produces the report (Redis only).

``report_generate_task`` is ``acks_late``: the message is acknowledged only after the
report is stored. The whole worker (parent and pool child) is killed here, so nothing is
acknowledged or rejected; Redis hands the message to the next worker once its visibility
timeout has passed (a few seconds in this test, an hour by default). The filesystem
broker of the default stack loses the messages a killed worker held (docs/library-traps.md
"Celery"), so the
test runs only when ``CELERY_BROKER_URL`` is ``redis://`` (CI's second ``make test``).
"""

import time

import pytest
from django.conf import settings
from django.db import transaction

from reports.models import Report
from reports.runner import CampaignReportRunner
from reports.services import report_request
from tests.celery_worker import celery_workers, wait_until  # noqa: F401
from tests.factories import CampaignFactory, EntryFactory, ExpenseFactory, VoteFactory

VISIBILITY_TIMEOUT = 3  # seconds before Redis redelivers the killed worker's message
# report_generate sleeps this long after each progress update in the first worker only.
PROGRESS_DELAY = 3

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")),
        reason="needs Redis: the filesystem broker loses the messages of a killed worker",
    ),
]


def clear_broker() -> None:
    """Empty the queues and the unacknowledged messages of earlier (killed) runs."""
    from config.celery import app

    app.control.purge()
    with app.connection_for_write() as conn:
        qos = conn.default_channel.qos
        conn.default_channel.client.delete(qos.unacked_key, qos.unacked_index_key)


def test_report_survives_a_killed_worker(celery_workers):  # noqa: F811
    started = time.monotonic()
    campaign = CampaignFactory()
    entries = [EntryFactory(campaign=campaign) for _ in range(3)]
    for i, entry in enumerate(entries):
        for _ in range(i + 1):
            VoteFactory(entry=entry)
    ExpenseFactory(pilot=campaign.pilot, campaign=campaign)
    clear_broker()

    first = celery_workers(REPORT_TEST_PROGRESS_DELAY_SECONDS=str(PROGRESS_DELAY))
    with transaction.atomic():
        report = report_request(campaign=campaign)  # sent when this block commits

    def running_past_start() -> bool:
        report.refresh_from_db()
        return report.status == Report.Status.RUNNING and report.progress > 5

    wait_until(running_past_start, worker=first, what="the report to be half-way")
    first.kill()
    report.refresh_from_db()
    assert report.status == Report.Status.RUNNING  # killed mid-report, not after it

    second = celery_workers(CELERY_TEST_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))

    def done() -> bool:
        report.refresh_from_db()
        return report.status == Report.Status.DONE

    wait_until(done, worker=second, what="the redelivered report")

    assert Report.objects.filter(campaign=campaign).count() == 1
    assert report.progress == 100
    assert report.data and report.generated_at is not None
    expected = CampaignReportRunner(campaign).run().as_json()
    for key in ("new_users", "participants", "unique_visitors"):
        assert report.data[key] == expected[key], key
    assert report.data["cost"]["total"] == expected["cost"]["total"]
    assert report.data["funnel"] == expected["funnel"]
    assert time.monotonic() - started < 60
