"""Import jobs survive real workers killed by SIGKILL, on both CI stacks.

A killed pool child's message goes back to the worker (``reject_on_worker_lost``) and
the next child runs the job; a killed whole worker's job (the filesystem broker lost the
message, Redis keeps it for an hour) is sent again by beat's sweep once its heartbeat is
stale (core/work.py). Either way the rows are written once.

A worker pauses (``IMPORT_TEST_PAUSE_SECONDS``, test settings) after its first progress
update, so a test can kill it mid-job. No module-scoped worker here: it would take the
messages meant for the workers these tests start and kill.
"""

import time

import pytest

from ambassadors.models import Ambassador
from campaigns.models import ImportJob
from campaigns.tasks import import_jobs_sweep_task
from tests.campaigns.rosters.jobs import import_job_queue
from tests.celery_worker import (  # noqa: F401
    broker_clear,
    celery_workers,
    wait_for_result,
    wait_until,
)
from tests.factories import SchoolFactory, UserFactory


def _validating(job, worker, *, attempts: int = 1) -> None:
    def started() -> bool:
        job.refresh_from_db()
        return job.status == ImportJob.Status.VALIDATING and job.attempts == attempts

    wait_until(started, worker=worker, what=f"attempt {attempts} of the job")


def _done(job, worker) -> ImportJob:
    def done() -> bool:
        job.refresh_from_db()
        return job.status == ImportJob.Status.DONE

    wait_until(done, worker=worker, what="the job to finish")
    return job


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_killed_pool_child_gives_the_job_to_the_next_child(celery_workers):  # noqa: F811
    school = SchoolFactory(name="复旦大学", slug="fudan")
    broker_clear()
    worker = celery_workers(IMPORT_TEST_PAUSE_SECONDS="2")
    job = import_job_queue(user=UserFactory(role="staff"), school=school)
    _validating(job, worker)
    worker.kill_pool_child()
    job = _done(job, worker)
    assert (job.attempts, job.new, job.errors) == (2, 300, [])
    assert Ambassador.objects.filter(school=school).count() == 300


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_is_replaced_and_the_sweep_sends_the_job_again(celery_workers):  # noqa: F811
    school = SchoolFactory(name="复旦大学", slug="fudan")
    broker_clear()
    first = celery_workers(IMPORT_TEST_PAUSE_SECONDS="30")
    job = import_job_queue(user=UserFactory(role="staff"), school=school)
    _validating(job, first)
    first.kill()  # parent and child: the filesystem broker loses the message
    second = celery_workers(WORK_STALE_AFTER_SECONDS="2")
    time.sleep(2.5)
    sweep = import_jobs_sweep_task.apply_async(ignore_result=False)
    assert wait_for_result(sweep, worker=second) == {"requeued": [job.pk], "failed": []}
    job = _done(job, second)
    assert (job.attempts, job.new) == (2, 300)
    assert Ambassador.objects.filter(school=school).count() == 300
    broker_clear()  # Redis still holds the killed worker's message
