"""Failed reports in admin: the reason shows, and the retry action computes them again."""

import pytest
from django.urls import reverse

from campaigns.models import AuditLog
from reports.models import Report
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed():
    campaign = CampaignFactory()
    return Report.objects.create(
        campaign=campaign,
        pilot=campaign.pilot,
        status=Report.Status.FAILED,
        progress=50,
        attempts=3,
        error="A worker started this 3 time(s) and stopped each time before finishing",
    )


def test_the_list_and_the_page_show_why_it_failed(ops_client, failed):
    listing = ops_client.get(reverse("admin:reports_report_changelist")).content.decode()
    assert "A worker started this 3 time(s)" in listing
    page = ops_client.get(reverse("admin:reports_report_change", args=[failed.pk]))
    assert "A worker started this 3 time(s)" in page.content.decode()


def test_retry_queues_a_failed_report_again(
    ops_client, ops_user, failed, django_capture_on_commit_callbacks
):
    done = Report.objects.create(
        campaign=failed.campaign, pilot=failed.pilot, status=Report.Status.DONE
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = ops_client.post(
            reverse("admin:reports_report_changelist"),
            {"action": "retry_failed", "_selected_action": [failed.pk, done.pk]},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )
    body = response.content.decode()
    assert "1 report(s) queued again." in body
    assert "1 report(s) had not failed and were left alone." in body
    failed.refresh_from_db()
    assert (failed.status, failed.progress, failed.attempts, failed.error) == (
        Report.Status.PENDING,
        0,
        0,
        "",
    )
    assert len(callbacks) == 1  # one computation, sent after commit
    done.refresh_from_db()
    assert done.status == Report.Status.DONE
    audit = AuditLog.objects.get(action="report.retry")
    assert audit.actor == ops_user and "3 time(s)" in audit.data["error"]


def test_an_intern_cannot_retry_reports(ambassador_client, failed, school_a):
    from campaigns.models import Pilot

    Pilot.objects.filter(pk=failed.pilot_id).update(school=school_a)
    page = ambassador_client.get(reverse("admin:reports_report_changelist"))
    assert page.status_code == 200
    assert "retry_failed" not in page.content.decode()
    ambassador_client.post(
        reverse("admin:reports_report_changelist"),
        {"action": "retry_failed", "_selected_action": [failed.pk]},
    )
    failed.refresh_from_db()
    assert failed.status == Report.Status.FAILED
