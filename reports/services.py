"""Writes of the reports app: requesting and storing computed reports, closing a
campaign together with its report request, and the sweep of stuck reports."""

import logging
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from campaigns.audit import audit_record
from campaigns.models import Campaign, Pilot
from core.work import (
    SweepResult,
    WorkKind,
    work_attempt_begin,
    work_fail,
    work_heartbeat,
    work_sweep,
)
from reports.models import Report
from reports.pilot import PilotReportRunner
from reports.runner import CampaignReportRunner
from voting.services.leaderboards import campaign_close

logger = logging.getLogger(__name__)

REPORT_WORK = WorkKind(
    model=Report,
    unfinished=(Report.Status.PENDING, Report.Status.RUNNING),
    failed=Report.Status.FAILED,
    created_field="requested_at",
    failure_fields=lambda reason: {"error": reason},
)


def _send(report: Report) -> Report:
    from reports.tasks import report_generate_task  # tasks import this module at top level

    report_generate_task.delay_on_commit(report.pk)
    return report


def report_request(*, campaign: Campaign, previous: Report | None = None) -> Report:
    """A pending report, computed by a worker after this transaction commits."""
    return _send(Report.objects.create(campaign=campaign, pilot=campaign.pilot, previous=previous))


def pilot_report_request(*, pilot: Pilot, previous: Report | None = None) -> Report:
    """A pending pilot report (all its campaigns and its whole cost), computed after commit."""
    return _send(Report.objects.create(pilot=pilot, previous=previous))


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


def report_generate(*, report_id: int) -> Report | None:
    """Compute and store a requested report. Safe to run twice: a finished report is
    left alone, an interrupted one is computed again from scratch. Counts an attempt;
    None when it must not run (gone, finished, or out of attempts: then failed)."""
    if not work_attempt_begin(REPORT_WORK, report_id):
        return Report.objects.filter(pk=report_id).first()
    report = Report.objects.select_related(
        "campaign__pilot__school", "pilot__school", "previous"
    ).get(pk=report_id)

    # Test settings only (0 elsewhere): lets a test kill a worker mid-report.
    delay = getattr(settings, "REPORT_TEST_PROGRESS_DELAY_SECONDS", 0)

    def progress(pct: int) -> None:
        # Its own statement outside any transaction, so admin sees it move and the sweep
        # sees the heartbeat.
        work_heartbeat(REPORT_WORK, report_id, status=Report.Status.RUNNING, progress=pct)
        if delay:
            time.sleep(delay)

    progress(5)
    if report.campaign_id:
        data = CampaignReportRunner(report.campaign).run(progress=progress).as_json()
    else:
        data = PilotReportRunner(report.pilot).run(progress=progress)
    data["previous_verdict"] = _previous_verdict(report.previous)
    verdict = data["verdict"]
    # Whatever the sweep decided meanwhile, a computed report is stored: it is correct.
    Report.objects.filter(pk=report_id).update(
        status=Report.Status.DONE,
        progress=100,
        data=data,
        error="",
        generated_at=timezone.now(),
        heartbeat_at=timezone.now(),
        provisional=verdict["provisional"],
        matures_on=parse_date(verdict["matures_on"]) if verdict["matures_on"] else None,
    )
    report.refresh_from_db()
    return report


def report_fail(*, report_id: int, error: str) -> bool:
    """Mark an unfinished report failed with ``error`` (its task gave up)."""
    return work_fail(REPORT_WORK, report_id, reason=error)


def report_retry(*, report: Report, actor: Any) -> bool:
    """Compute a failed report again from scratch (admin's "retry"); False unless it had
    failed. Recorded in the audit log."""
    with transaction.atomic():
        reset = Report.objects.filter(pk=report.pk, status=Report.Status.FAILED).update(
            status=Report.Status.PENDING,
            progress=0,
            attempts=0,
            error="",
            heartbeat_at=timezone.now(),
        )
        if not reset:
            return False
        audit_record(
            actor=actor,
            action="report.retry",
            target=report,
            school_id=report.school_id,
            data={"report": report.pk, "error": report.error[:500]},
        )
        _send(report)
    return True


def reports_sweep() -> SweepResult:
    """Send stuck reports again, or fail those out of attempts (core/work.py)."""
    from reports.tasks import report_generate_task

    with transaction.atomic():
        return work_sweep(REPORT_WORK, send=report_generate_task.delay)


def campaign_close_report_ensure(*, campaign: Campaign) -> Report:
    """The campaign's post-campaign report, requested once: the existing one, or a new
    one computed after this transaction commits (a unique constraint keeps it one)."""
    existing = Report.objects.filter(campaign=campaign, on_close=True).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            report = Report.objects.create(campaign=campaign, pilot=campaign.pilot, on_close=True)
    except IntegrityError:
        # A concurrent close won the race and requested it.
        return Report.objects.get(campaign=campaign, on_close=True)
    return _send(report)


def campaign_close_with_report(*, campaign_id: int, at: datetime | None = None) -> Report | None:
    """Close a campaign whose voting has ended, freeze its final standings and request
    its post-campaign report, all in one transaction: a worker killed half-way leaves
    nothing done, and running it again (a redelivered task, beat's minute job) does the
    rest. Also requests the report of a campaign closed by hand. None unless closed."""
    with transaction.atomic():
        campaign_close(campaign_id=campaign_id, at=at)
        campaign = (
            Campaign.objects.select_related("pilot")
            .filter(pk=campaign_id, status=Campaign.Status.CLOSED)
            .first()
        )
        if campaign is None:
            return None
        # Test settings only (0 elsewhere): lets a test kill the worker right here.
        delay = getattr(settings, "CAMPAIGN_CLOSE_TEST_DELAY_SECONDS", 0)
        if delay:
            logger.info("campaign_close: campaign %s closed, requesting its report", campaign_id)
            time.sleep(delay)
        return campaign_close_report_ensure(campaign=campaign)
