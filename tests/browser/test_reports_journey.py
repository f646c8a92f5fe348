"""Part 4 (steps 40-49): reports a boss can read, on a 1366×768 laptop in zh-hans, with a
real worker.

Each step is a function taking the logged-in page, so a longer walk can compose them:
request a report from a campaign's link and watch it compute, read it, download its XLSX,
compare pilots, and see the reports list fit the window.
"""

import io
import re
from datetime import datetime

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from campaigns.models import Campaign
from demo.seed import CONTEST_SLUG, STAFF_USERNAME, demo_password
from reports.exports.workbook import MONEY_FORMAT, PERCENT_FORMAT
from reports.models import Report
from tests.browser.conftest import LAPTOP_VIEWPORT, TASK_TIMEOUT_MS, assert_fits_width, log_in
from tests.celery_worker import celery_workers  # noqa: F401  (a worker with a delay)

pytestmark = pytest.mark.worker
ADD = reverse("admin:reports_report_add")


@pytest.fixture
def viewport():
    return LAPTOP_VIEWPORT


def request_report_from_link(page, step, query: str, subject_title: str, name: str) -> None:
    """Open the link a campaign or pilot page carries, confirm in one click, and watch the
    page show the worker's progress until the report is there."""
    with step(f"{name}-confirm"):
        page.goto(f"{ADD}?{query}")
        expect(page.locator("#report-request-subject")).to_contain_text(subject_title)
        assert_fits_width(page)
    with step(f"{name}-progress"):
        page.locator("#report-request-confirm").click()
        expect(page).to_have_url(re.compile(r"/admin/reports/report/\d+/change/$"))
        progress = page.locator("#report-progress")
        expect(progress).to_be_visible()
        expect(progress).to_contain_text(re.compile("等待后台任务|计算中"))
        expect(progress.locator("progress")).to_have_count(1)
    with step(f"{name}-ready"):
        # The page refreshes itself while the worker computes.
        expect(page.locator("#report-kpis")).to_be_visible(timeout=TASK_TIMEOUT_MS)


def read_report(page, step, name: str) -> None:
    """The report page of a campaign: tables, labelled charts in Chinese, no overflow."""
    with step(name):
        expect(page.locator("#report-subject a")).to_have_attribute(
            "href", re.compile(r"/admin/campaigns/campaign/\d+/change/$")
        )
        for table in ("#report-retention", "#report-costs", "#report-ambassadors"):
            expect(page.locator(table)).to_be_visible()
        expect(page.locator("#report-cohorts tbody tr")).not_to_have_count(0)
        expect(page.locator("#report-per-1000")).to_contain_text("每千名学生参与人数")
        expect(page.locator("#report-retention")).to_contain_text("7日留存")
        expect(page.locator("#report-costs")).to_contain_text("¥")
        charts = page.locator(".report-charts figure svg")
        expect(charts).to_have_count(4)
        expect(page.locator(".report-charts")).to_contain_text("转化漏斗")
        expect(page.locator(".report-charts")).to_contain_text("成本构成")
        text = page.locator("#content").inner_text()
        assert "No data" not in text
        assert not re.search(r"\b[dD](1|7|30)\b", text), "raw d7/d30 on the page"
        assert_fits_width(page)
        page.locator(".report-charts figure").nth(2).scroll_into_view_if_needed()


def download_report_xlsx(page, step, name: str, tmp_path) -> openpyxl.Workbook:
    with step(name):
        with page.expect_download() as download_info:
            page.locator("#report-export-xlsx").click()
        download = download_info.value
        path = tmp_path / download.suggested_filename
        download.save_as(path)
    return openpyxl.load_workbook(io.BytesIO(path.read_bytes()))


def compare_pilots(page, step, name: str, pilot_name: str) -> None:
    with step(name):
        page.goto(reverse("admin:reports_report_compare"))
        table = page.locator("table.report-compare")
        expect(table.first).to_be_visible()
        expect(page.locator("#content")).to_contain_text(pilot_name)
        header = page.locator("table.report-compare thead").first
        for label in ("次日留存", "7日留存", "30日留存"):
            expect(header).to_contain_text(label)
        row = page.locator("table.report-compare tbody tr", has_text=pilot_name)
        expect(row).to_contain_text("%")
        expect(row).to_contain_text("¥")
        assert_fits_width(page)


def reports_list_fits(page, step, name: str) -> None:
    with step(name):
        page.goto(reverse("admin:reports_report_changelist"))
        expect(page.locator("#result_list tbody tr")).not_to_have_count(0)
        assert_fits_width(page)


def test_reports_a_boss_can_read(page, step, celery_workers, tmp_path):  # noqa: F811
    call_command("seed_demo", stdout=io.StringIO())
    contest = Campaign.objects.select_related("pilot__school").get(slug=CONTEST_SLUG)
    pilot = contest.pilot
    # A second between progress steps, so the page is seen computing.
    worker = celery_workers(REPORT_TEST_PROGRESS_DELAY_SECONDS="1")
    assert worker

    with step("40-login"):
        log_in(page, STAFF_USERNAME, demo_password())

    with step("41-request-choice"):
        page.goto(ADD)
        expect(page.locator("#report-campaign")).to_be_visible()
        page.select_option("#report-campaign", str(contest.pk))
        page.locator("#report-choose-campaign input[type=submit]").click()
        expect(page.locator("#report-request-subject")).to_contain_text(contest.title)
        expect(page.locator("#report-request-subject")).to_contain_text(pilot.school.name)

    with step("42-request-foreign"):
        page.goto(f"{ADD}?campaign=999999")
        expect(page.locator("#report-request-error")).to_contain_text("999999")
    assert not Report.objects.exists()

    request_report_from_link(page, step, f"campaign={contest.pk}", contest.title, "43-report")
    report = Report.objects.get(campaign=contest)
    assert report.status == Report.Status.DONE
    read_report(page, step, "44-report-read")

    book = download_report_xlsx(page, step, "45-report-xlsx", tmp_path)
    assert book.sheetnames[:3] == ["摘要", "成本", "校园大使"]
    summary = {row[0].value: row for row in book["摘要"].iter_rows() if row[0].value}
    assert summary["结论"][1].value in ("复制", "改进", "停止")
    assert summary["新用户"][1].value == report.data["new_users"]
    assert summary["总成本"][1].number_format == MONEY_FORMAT
    assert summary["7日留存"][1].number_format == PERCENT_FORMAT
    assert isinstance(summary["生成时间"][1].value, datetime)

    request_report_from_link(page, step, f"pilot={pilot.pk}", pilot.name, "46-pilot")
    compare_pilots(page, step, "47-compare", pilot.name)
    with step("48-compare-xlsx"):
        with page.expect_download() as download_info:
            page.locator("#pilot-compare-export").click()
        path = tmp_path / "compare.xlsx"
        download_info.value.save_as(path)
    compared = openpyxl.load_workbook(path)
    cells = [c.value for s in compared.worksheets for row in s.iter_rows() for c in row]
    assert pilot.name in cells and pilot.school.name in cells

    reports_list_fits(page, step, "49-reports-list")
