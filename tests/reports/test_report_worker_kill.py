"""Reports survive real workers killed by SIGKILL, on both CI stacks (filesystem broker
and Redis).

``report_generate_task`` is ``acks_late`` with ``reject_on_worker_lost``. A killed *pool
child* is seen by the worker, which gives the message back: the next child computes the
report. A killed *whole worker* acknowledges and rejects nothing: the filesystem broker
has already lost the message and Redis keeps it for its visibility timeout (an hour), so
beat's ``reports_sweep`` sends the report again once its heartbeat is stale
(core/work.py). A report that kills its worker every time fails after
``WORK_MAX_ATTEMPTS`` with the reason, instead of being redelivered for ever.
"""

import time

import pytest
from django.db import transaction

from reports.models import Report
from reports.runner import CampaignReportRunner
from reports.services import report_request
from reports.tasks import reports_sweep_task
from tests.celery_worker import broker_clear, celery_workers, wait_until  # noqa: F401
from tests.factories import CampaignFactory, EntryFactory, ExpenseFactory, VoteFactory

# report_generate sleeps this long after each progress update (worker settings), so a
# test can kill mid-report.
PROGRESS_DELAY = "0.5"

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _campaign():
    campaign = CampaignFactory()
    for i, entry in enumerate(EntryFactory(campaign=campaign) for _ in range(3)):
        for _ in range(i + 1):
            VoteFactory(entry=entry)
    ExpenseFactory(pilot=campaign.pilot, campaign=campaign)
    return campaign


def _request(campaign) -> Report:
    with transaction.atomic():
        return report_request(campaign=campaign)  # sent when this block commits


def _running(report: Report, worker, *, attempts: int = 1) -> None:
    def past_start() -> bool:
        report.refresh_from_db()
        return (
            report.status == Report.Status.RUNNING
            and report.progress > 5
            and report.attempts == attempts
        )

    wait_until(past_start, worker=worker, what=f"attempt {attempts} to be half-way")


def _done(report: Report, worker) -> None:
    def done() -> bool:
        report.refresh_from_db()
        return report.status == Report.Status.DONE

    wait_until(done, worker=worker, what="the report to be done")


def _assert_correct(report: Report, campaign) -> None:
    assert Report.objects.filter(campaign=campaign).count() == 1
    assert (report.progress, report.error) == (100, "")
    assert report.data and report.generated_at is not None
    expected = CampaignReportRunner(campaign).run().as_json()
    for key in ("new_users", "participants", "unique_visitors", "funnel"):
        assert report.data[key] == expected[key], key
    assert report.data["cost"]["total"] == expected["cost"]["total"]


def test_a_killed_pool_child_gives_the_report_to_the_next_child(celery_workers):  # noqa: F811
    started = time.monotonic()
    campaign = _campaign()
    broker_clear()
    worker = celery_workers(REPORT_TEST_PROGRESS_DELAY_SECONDS=PROGRESS_DELAY)
    report = _request(campaign)
    _running(report, worker)

    killed = worker.kill_pool_child()
    assert worker.alive  # the parent lives on and starts another child
    _done(report, worker)

    assert killed not in worker.pool_children()
    assert report.attempts == 2  # the second child ran it again, from scratch
    _assert_correct(report, campaign)
    assert "signal 9 (SIGKILL)" in worker.output()
    assert time.monotonic() - started < 60


def test_a_killed_worker_is_replaced_and_the_sweep_sends_the_report_again(celery_workers):  # noqa: F811
    campaign = _campaign()
    broker_clear()
    first = celery_workers(REPORT_TEST_PROGRESS_DELAY_SECONDS=PROGRESS_DELAY)
    report = _request(campaign)
    _running(report, first)
    first.kill()  # parent and child at once: nothing is acknowledged or rejected
    report.refresh_from_db()
    assert report.status == Report.Status.RUNNING  # killed mid-report, not after it

    # What a restarted deployment does: a new worker, and beat's sweep every minute
    # (here its timeout is two seconds instead of fifteen minutes).
    second = celery_workers(WORK_STALE_AFTER_SECONDS="2")
    time.sleep(2.5)
    assert reports_sweep_task.apply_async(ignore_result=False).get(timeout=60) == {
        "requeued": [report.pk],
        "failed": [],
    }
    _done(report, second)
    assert report.attempts == 2
    _assert_correct(report, campaign)
    broker_clear()  # Redis still holds the killed worker's message


def test_a_report_that_kills_every_worker_fails_after_its_attempts(celery_workers):  # noqa: F811
    campaign = _campaign()
    broker_clear()
    worker = celery_workers(
        REPORT_TEST_PROGRESS_DELAY_SECONDS=PROGRESS_DELAY, WORK_MAX_ATTEMPTS="2"
    )
    report = _request(campaign)
    for attempt in (1, 2):
        _running(report, worker, attempts=attempt)
        worker.kill_pool_child()

    def failed() -> bool:
        report.refresh_from_db()
        return report.status == Report.Status.FAILED

    # The third delivery is refused, and the report says why.
    wait_until(failed, worker=worker, what="the report to fail")
    assert report.attempts == 2
    assert "started this 2 time(s)" in report.error
    assert report.data == {}
