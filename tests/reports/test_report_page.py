"""The report page reads like a report: it names and links its campaign or pilot, shows
the ambassador, weekly cohort, retention and cost tables and participants per 1,000
students, in the reader's language, with ¥ and %; and shows progress while computing."""

import pytest
from django.urls import reverse

from reports.models import Report
from tests.reports.conftest import NOW

pytestmark = pytest.mark.django_db


def page(client, report, **headers) -> str:
    return client.get(
        reverse("admin:reports_report_change", args=[report.pk]), **headers
    ).content.decode()


def test_the_page_names_and_links_its_campaign(ops_client, report):
    html = page(ops_client, report)
    link = reverse("admin:campaigns_campaign_change", args=[report.campaign_id])
    assert f'href="{link}">夜跑挑战赛</a>' in html and "复旦大学" in html


def test_the_page_has_the_tables_of_the_xlsx(ops_client, report):
    html = page(ops_client, report)
    for table in (
        "report-retention",
        "report-costs",
        "report-ambassadors",
        "report-cohorts",
        "report-channels",
    ):
        assert f'id="{table}"' in html
    assert "每千名学生参与人数" in html and "<strong>0.6</strong>" in html
    assert "'=HYPERLINK" not in html and "=HYPERLINK(1)" in html  # escaped for HTML, not a sheet
    assert "2026-08-31" in html  # a weekly cohort, by its Monday
    for label in ("次日留存", "7日留存", "30日留存"):
        assert label in html
    assert "¥500.50" in html and "%" in html
    assert "No data" not in html and ">D7<" not in html


def test_the_page_reads_in_english_too(ops_client, report):
    html = page(ops_client, report, HTTP_ACCEPT_LANGUAGE="en")
    assert "Participants per 1,000 students" in html and "7-day retention" in html


def test_a_pilot_report_links_its_pilot_and_lists_its_campaigns(ops_client, report):
    pilot_report = Report.objects.create(
        pilot=report.pilot, status=Report.Status.DONE, data=report.data, generated_at=NOW
    )
    html = page(ops_client, pilot_report)
    assert reverse("admin:campaigns_pilot_change", args=[report.pilot_id]) in html
    assert 'id="report-campaigns"' in html
    assert reverse("admin:campaigns_campaign_change", args=[report.campaign_id]) in html


def test_a_computing_report_shows_progress_and_refreshes(ops_client, report):
    running = Report.objects.create(
        campaign=report.campaign, status=Report.Status.RUNNING, progress=42
    )
    html = page(ops_client, running)
    assert 'http-equiv="refresh"' in html and 'value="42"' in html and "计算中" in html
    pending = Report.objects.create(campaign=report.campaign)
    assert "等待后台任务" in page(ops_client, pending)


def test_a_failed_report_says_so(ops_client, report):
    failed = Report.objects.create(
        campaign=report.campaign, status=Report.Status.FAILED, error="boom"
    )
    html = page(ops_client, failed)
    assert (
        'id="report-failed"' in html
        and "报告计算失败" in html
        and 'http-equiv="refresh"' not in html
    )


def test_the_reports_list_names_subjects_by_title(ops_client, report):
    html = ops_client.get(reverse("admin:reports_report_changelist")).content.decode()
    assert "夜跑挑战赛" in html and "night-run" not in html


def test_the_comparison_shows_titles_percentages_and_money(ops_client, report):
    data = {
        **report.data,
        "pilot": report.pilot_id,
        "pilot_name": "old-name",
        "school": "fudan",
        "new_users_per_1000_students": 0.5,
    }
    Report.objects.create(pilot=report.pilot, status=Report.Status.DONE, data=data)
    html = ops_client.get(reverse("admin:reports_report_compare")).content.decode()
    assert "复旦跑步试点" in html and "复旦大学" in html
    assert ">fudan<" not in html and "old-name" not in html
    for label in ("次日留存", "7日留存", "30日留存", "按30日留存"):
        assert label in html
    assert ">d7<" not in html.lower() and "0.6 " not in html
    assert "60.0%" in html and "¥500.50" in html
    assert 'id="pilot-compare-export"' in html
