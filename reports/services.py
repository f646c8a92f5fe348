"""Writes of the reports app: requesting and storing computed reports."""

import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Pilot
from reports.models import Report
from reports.runner import CampaignReportRunner, PilotReportRunner


def report_request(*, campaign: Campaign) -> Report:
    """A pending report, computed by a worker after this transaction commits."""
    from reports.tasks import report_generate_task  # tasks import this module at top level

    report = Report.objects.create(campaign=campaign, pilot=campaign.pilot)
    report_generate_task.delay_on_commit(report.pk)
    return report


def report_generate(*, report_id: int) -> Report:
    """Compute and store a requested report. Safe to run twice: a finished report is
    left alone, an interrupted one is computed again from scratch."""
    report = Report.objects.select_related("campaign__pilot__school", "pilot__school").get(
        pk=report_id
    )
    if report.status == Report.Status.DONE:
        return report

    # Test settings only (0 elsewhere): lets a test kill a worker mid-report.
    delay = getattr(settings, "REPORT_TEST_PROGRESS_DELAY_SECONDS", 0)

    def progress(pct: int) -> None:
        # Its own statement outside any transaction, so admin sees it move.
        Report.objects.filter(pk=report_id).update(status=Report.Status.RUNNING, progress=pct)
        if delay:
            time.sleep(delay)

    progress(5)
    if report.campaign_id:
        data = CampaignReportRunner(report.campaign).run(progress=progress).as_json()
    else:
        data = PilotReportRunner(report.pilot).run(progress=progress)
    with transaction.atomic():
        Report.objects.filter(pk=report_id).update(
            status=Report.Status.DONE, progress=100, data=data, generated_at=timezone.now()
        )
    report.refresh_from_db()
    return report


def pilot_report_request(*, pilot: Pilot) -> Report:
    """A pending pilot report (all its campaigns and its whole cost), computed after commit."""
    from reports.tasks import report_generate_task  # tasks import this module at top level

    report = Report.objects.create(pilot=pilot)
    report_generate_task.delay_on_commit(report.pk)
    return report
