"""Operations staff request a report in admin, watch it compute, read its charts, export it."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils.html import escape

from reports.models import Report
from reports.services import report_generate
from tests.factories import CampaignFactory, EntryFactory, VisitFactory, VoteFactory, VoterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(school_a):
    campaign = CampaignFactory(pilot__school=school_a, slug="night-run")
    entry = EntryFactory(campaign=campaign, name="=HYPERLINK(1)")
    voter = VoterFactory(attributed_campaign=campaign, channel="share")
    VoteFactory(voter=voter, entry=entry)
    VisitFactory(campaign=campaign)
    return campaign


def test_requesting_a_report_enqueues_it_after_commit(
    ops_client, campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = ops_client.post(reverse("admin:reports_report_add"), {"campaign": campaign.pk})
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:reports_report_change", args=[report.pk])
    assert (report.status, report.pilot_id) == (Report.Status.PENDING, campaign.pilot_id)
    assert len(callbacks) == 1  # the compute task, sent only once the row is committed

    page = ops_client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in page and 'id="report-progress"' in page


def test_done_report_shows_kpis_and_charts(ops_client, campaign):
    report = report_generate(report_id=Report.objects.create(campaign=campaign).pk)
    page = ops_client.get(reverse("admin:reports_report_change", args=[report.pk])).content.decode()
    assert 'id="report-kpis"' in page
    assert page.count("<figure><svg") == 4  # funnel, daily votes, retention, cost
    assert 'http-equiv="refresh"' not in page


def test_exports_are_safe_spreadsheets(ops_client, campaign):
    report = report_generate(report_id=Report.objects.create(campaign=campaign).pk)
    xlsx = ops_client.get(reverse("admin:reports_report_export", args=[report.pk, "xlsx"]))
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert summary["新用户"] == 1  # tests/reports/test_report_xlsx.py reads the rest
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
    csv = ops_client.get(reverse("admin:reports_report_export", args=[report.pk, "csv"]))
    assert csv.content.startswith(b"\xef\xbb\xbf")  # BOM for Chinese Excel
    assert "new_users,1" in csv.content.decode("utf-8-sig").replace("\r", "")


def test_unknown_export_format_is_404(ops_client, campaign):
    report = report_generate(report_id=Report.objects.create(campaign=campaign).pk)
    response = ops_client.get(reverse("admin:reports_report_export", args=[report.pk, "pdf"]))
    assert response.status_code == 404


def test_ambassador_reads_own_school_report_but_not_others(client, campaign, school_b):
    from tests.factories import AmbassadorFactory, UserFactory

    own = report_generate(report_id=Report.objects.create(campaign=campaign).pk)
    other = report_generate(
        report_id=Report.objects.create(campaign=CampaignFactory(pilot__school=school_b)).pk
    )
    user = UserFactory(username="intern-b", role="ambassador")
    AmbassadorFactory(school=school_b, user=user)
    client.force_login(user)
    assert (
        client.get(reverse("admin:reports_report_export", args=[other.pk, "xlsx"])).status_code
        == 200
    )
    assert client.get(
        reverse("admin:reports_report_export", args=[own.pk, "xlsx"])
    ).status_code in (403, 404)
    assert client.get(reverse("admin:reports_report_add")).status_code == 403


def test_verdict_reasons_read_in_the_pages_language(ops_client, campaign):
    from tests.helpers import page_says

    report = report_generate(report_id=Report.objects.create(campaign=campaign).pk)
    change = reverse("admin:reports_report_change", args=[report.pk])
    # Each stored reason is a message; the English sentences stay in the JSON.
    messages = report.data["verdict"]["reason_messages"]
    assert messages and len(messages) == len(report.data["verdict"]["reasons"])
    page = ops_client.get(change)  # zh-hans by default
    english = escape(report.data["verdict"]["reasons"][0])
    first = messages[0]
    # The basis reads as a retention day, not the JSON's code.
    assert first["params"]["basis"] == "d7"
    assert page_says(page, first["msgid"], **{**first["params"], "basis": "7日留存"})
    assert english not in page.content.decode()
    english_page = ops_client.get(change, HTTP_ACCEPT_LANGUAGE="en")
    readable = first["msgid"] % {**first["params"], "basis": "7-day retention"}
    assert escape(readable) in english_page.content.decode()


def test_reports_stored_before_reason_messages_show_their_english(ops_client, campaign):
    report = report_generate(report_id=Report.objects.create(campaign=campaign).pk)
    legacy = {**report.data, "verdict": {**report.data["verdict"]}}
    del legacy["verdict"]["reason_messages"]
    Report.objects.filter(pk=report.pk).update(data=legacy)
    page = ops_client.get(reverse("admin:reports_report_change", args=[report.pk]))
    assert escape(legacy["verdict"]["reasons"][0]) in page.content.decode()
