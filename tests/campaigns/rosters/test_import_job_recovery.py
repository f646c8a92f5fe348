"""Import jobs that fail are failed with their reason, shown in admin and retried there;
stuck ones are swept (core/work.py through campaigns/rosters/service.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ambassadors.models import Ambassador
from campaigns.models import AuditLog, ImportJob
from campaigns.rosters.service import import_job_execute, import_jobs_sweep
from campaigns.tasks import import_job_run
from tests.campaigns.rosters.jobs import import_job_queue
from tests.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return SchoolFactory(name="复旦大学", slug="fudan")


@pytest.fixture
def job(school, ops_user):
    return import_job_queue(user=ops_user, school=school, rows=20)


def _fail(job, message="A worker started this 3 time(s) and stopped each time"):
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED,
        attempts=3,
        progress=100,
        errors=[{"line": None, "message": message}],
        finished_at=timezone.now(),
    )


def test_an_import_that_raises_is_retried_then_fails_with_the_error(job, monkeypatch):
    import campaigns.rosters.service as service

    def broken(*args, **kwargs):
        raise OSError("shared storage is not mounted")

    monkeypatch.setattr(service, "sheet_from_upload", broken)
    monkeypatch.setattr("campaigns.tasks.RETRY_BACKOFF_SECONDS", 0)
    import_job_run.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.errors == [{"line": None, "message": "OSError: shared storage is not mounted"}]
    assert job.attempts == 3 and job.finished_at is not None
    assert not Ambassador.objects.exists()


def test_stale_jobs_are_swept_and_exhausted_ones_fail(
    job, school, ops_user, settings, django_capture_on_commit_callbacks
):
    settings.WORK_STALE_AFTER_SECONDS = 60
    settings.WORK_MAX_ATTEMPTS = 3
    old = timezone.now() - timedelta(minutes=5)
    ImportJob.objects.filter(pk=job.pk).update(created_at=old)
    exhausted = import_job_queue(user=ops_user, school=school, rows=5)
    ImportJob.objects.filter(pk=exhausted.pk).update(
        status=ImportJob.Status.VALIDATING, attempts=3, heartbeat_at=old
    )
    fresh = import_job_queue(user=ops_user, school=school, rows=5)

    with django_capture_on_commit_callbacks() as callbacks:
        result = import_jobs_sweep()
        again = import_jobs_sweep()
    assert (result.requeued, result.failed) == ([job.pk], [exhausted.pk])
    assert (again.requeued, again.failed) == ([], [])
    assert len(callbacks) == 1
    exhausted.refresh_from_db()
    assert exhausted.status == ImportJob.Status.FAILED and exhausted.finished_at
    assert "3 time(s)" in exhausted.errors[0]["message"]
    fresh.refresh_from_db()
    assert fresh.status == ImportJob.Status.QUEUED


def test_a_second_delivery_of_a_finished_job_writes_nothing(job):
    assert import_job_execute(job_id=job.pk).status == ImportJob.Status.DONE
    assert import_job_execute(job_id=job.pk).status == ImportJob.Status.DONE
    job.refresh_from_db()
    assert (job.attempts, job.new) == (1, 20)
    assert Ambassador.objects.count() == 20


def test_admin_shows_the_reason_and_retries(
    client, ops_user, job, django_capture_on_commit_callbacks
):
    _fail(job)
    client.force_login(ops_user)
    listing = client.get(reverse("admin:campaigns_importjob_changelist")).content.decode()
    assert "A worker started this 3 time(s)" in listing
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("admin:campaigns_importjob_changelist"),
            {"action": "retry_failed", "_selected_action": [job.pk]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert "1 import(s) queued again." in response.content.decode()
    assert len(callbacks) == 1  # sent to a worker after commit
    job.refresh_from_db()
    assert (job.status, job.attempts, job.errors, job.finished_at) == (
        ImportJob.Status.QUEUED,
        0,
        [],
        None,
    )
    # What the worker then does: the job runs again, from scratch, and imports every row.
    job = import_job_execute(job_id=job.pk)
    assert (job.status, job.attempts, job.new) == (ImportJob.Status.DONE, 1, 20)
    assert AuditLog.objects.filter(action="import_job.retry", actor=ops_user).count() == 1


def test_retry_leaves_unfailed_jobs_alone(client, ops_user, job):
    client.force_login(ops_user)
    response = client.post(
        reverse("admin:campaigns_importjob_changelist"),
        {"action": "retry_failed", "_selected_action": [job.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "1 import(s) had not failed and were left alone." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED


def test_an_intern_retries_only_their_schools_jobs(client, job, school):
    from tests.factories import AmbassadorFactory

    other_school = SchoolFactory(slug="tongji")
    intern = UserFactory(username="intern-b", role="ambassador")
    AmbassadorFactory(school=other_school, user=intern)
    _fail(job)
    client.force_login(intern)
    client.post(
        reverse("admin:campaigns_importjob_changelist"),
        {"action": "retry_failed", "_selected_action": [job.pk]},
    )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED  # not in the intern's queryset
