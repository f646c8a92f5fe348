"""Writes of the reports app: requesting and storing computed reports."""

import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from campaigns.models import Campaign, Pilot
from reports.models import Report
from reports.pilot import PilotReportRunner
from reports.runner import CampaignReportRunner


def report_request(*, campaign: Campaign, previous: Report | None = None) -> Report:
    """A pending report, computed by a worker after this transaction commits."""
    from reports.tasks import report_generate_task  # tasks import this module at top level

    report = Report.objects.create(campaign=campaign, pilot=campaign.pilot, previous=previous)
    report_generate_task.delay_on_commit(report.pk)
    return report


def pilot_report_request(*, pilot: Pilot, previous: Report | None = None) -> Report:
    """A pending pilot report (all its campaigns and its whole cost), computed after commit."""
    from reports.tasks import report_generate_task  # tasks import this module at top level

    report = Report.objects.create(pilot=pilot, previous=previous)
    report_generate_task.delay_on_commit(report.pk)
    return report


def report_refresh(*, report: Report) -> Report:
    """Ask for the same report again, as its next version (it keeps a link to this one,
    so the new one shows how the verdict changed)."""
    if report.campaign_id:
        return report_request(campaign=report.campaign, previous=report)
    return pilot_report_request(pilot=report.pilot, previous=report)


def _previous_verdict(previous: Report | None) -> dict | None:
    if previous is None or not previous.data:
        return None
    verdict = previous.data.get("verdict", {})
    return {
        "report": previous.pk,
        "generated_at": previous.data.get("generated_at"),
        "decision": verdict.get("decision"),
        "provisional": verdict.get("provisional", False),
        "matures_on": verdict.get("matures_on"),
        "cost_per_retained_user": previous.data.get("cost", {}).get("cost_per_retained_user"),
        "prizes": previous.data.get("cost", {}).get("prizes"),
    }


def report_generate(*, report_id: int) -> Report:
    """Compute and store a requested report. Safe to run twice: a finished report is
    left alone, an interrupted one is computed again from scratch."""
    report = Report.objects.select_related(
        "campaign__pilot__school", "pilot__school", "previous"
    ).get(pk=report_id)
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
    data["previous_verdict"] = _previous_verdict(report.previous)
    verdict = data["verdict"]
    with transaction.atomic():
        Report.objects.filter(pk=report_id).update(
            status=Report.Status.DONE,
            progress=100,
            data=data,
            generated_at=timezone.now(),
            provisional=verdict["provisional"],
            matures_on=parse_date(verdict["matures_on"]) if verdict["matures_on"] else None,
        )
    report.refresh_from_db()
    return report
