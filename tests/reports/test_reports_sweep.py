"""The sweep of stuck reports (core/work.py through reports/services.py): stale work is
sent again once, fresh and finished work is left alone, and work out of attempts fails
with its reason."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.work import work_attempt_begin, work_heartbeat
from reports.models import Report
from reports.services import REPORT_WORK, report_generate, reports_sweep
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory()


def _report(campaign, *, age_seconds: float, **fields) -> Report:
    report = Report.objects.create(campaign=campaign, pilot=campaign.pilot, **fields)
    Report.objects.filter(pk=report.pk).update(
        requested_at=timezone.now() - timedelta(seconds=age_seconds)
    )
    return report


def test_stale_reports_are_sent_again_once(campaign, settings, django_capture_on_commit_callbacks):
    settings.WORK_STALE_AFTER_SECONDS = 60
    never_started = _report(campaign, age_seconds=120)
    running = _report(campaign, age_seconds=600, status=Report.Status.RUNNING, attempts=1)
    Report.objects.filter(pk=running.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=90))
    fresh = _report(campaign, age_seconds=10)
    beating = _report(campaign, age_seconds=600, status=Report.Status.RUNNING, attempts=1)
    work_heartbeat(REPORT_WORK, beating.pk, progress=50)
    _report(campaign, age_seconds=600, status=Report.Status.DONE)
    _report(campaign, age_seconds=600, status=Report.Status.FAILED, error="x")

    with django_capture_on_commit_callbacks() as callbacks:
        result = reports_sweep()
        second = reports_sweep()  # a second beat (or a second sweep at once)
    assert sorted(result.requeued) == sorted([never_started.pk, running.pk])
    assert result.failed == [] and second.requeued == [] and second.failed == []
    assert len(callbacks) == 2
    for report in (fresh, beating):
        report.refresh_from_db()
        assert report.status in (Report.Status.PENDING, Report.Status.RUNNING)


def test_a_report_out_of_attempts_fails_with_the_reason(campaign, settings):
    settings.WORK_STALE_AFTER_SECONDS = 60
    settings.WORK_MAX_ATTEMPTS = 3
    report = _report(campaign, age_seconds=120, status=Report.Status.RUNNING, attempts=3)
    result = reports_sweep()
    report.refresh_from_db()
    assert result.failed == [report.pk] and result.requeued == []
    assert report.status == Report.Status.FAILED
    assert "started this 3 time(s)" in report.error


def test_a_worker_refuses_a_report_out_of_attempts(campaign, settings):
    """A message redelivered without end (reject_on_worker_lost and a report that kills
    its worker every time) stops at the cap."""
    settings.WORK_MAX_ATTEMPTS = 2
    report = _report(campaign, age_seconds=0, attempts=2, status=Report.Status.RUNNING)
    assert report_generate(report_id=report.pk).status == Report.Status.FAILED
    report.refresh_from_db()
    assert report.attempts == 2 and "2 time(s)" in report.error


def test_attempts_count_each_start_and_finished_work_stays_finished(campaign):
    report = _report(campaign, age_seconds=0)
    assert report_generate(report_id=report.pk).status == Report.Status.DONE
    report.refresh_from_db()
    assert report.attempts == 1 and report.heartbeat_at is not None
    assert not work_attempt_begin(REPORT_WORK, report.pk)  # done: not run again
    assert not work_heartbeat(REPORT_WORK, report.pk, status=Report.Status.RUNNING)
    report.refresh_from_db()
    assert report.status == Report.Status.DONE and report.attempts == 1
    assert not work_attempt_begin(REPORT_WORK, 987654)  # gone


def test_beat_runs_the_sweeps_every_minute():
    tasks = {t.task: t for t in PeriodicTask.objects.filter(enabled=True)}
    for name in ("reports.tasks.reports_sweep", "campaigns.tasks.import_jobs_sweep"):
        assert tasks[name].interval.every == 1 and tasks[name].interval.period == "minutes"


def test_a_report_that_raises_is_retried_then_fails_with_the_error(campaign, monkeypatch):
    from reports import runner
    from reports.tasks import report_generate_task

    def broken(self, progress=None):
        raise ValueError("the data warehouse is down")

    monkeypatch.setattr(runner.CampaignReportRunner, "run", broken)
    monkeypatch.setattr("reports.tasks.RETRY_BACKOFF_SECONDS", 0)
    report = _report(campaign, age_seconds=0)
    report_generate_task.apply(args=[report.pk], retries=0)
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert report.error == "ValueError: the data warehouse is down"
    assert report.attempts == 3  # the first run and its two retries
