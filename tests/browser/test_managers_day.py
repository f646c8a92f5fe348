"""An operations manager's day in one walk, on a 1366 px laptop in zh-hans, on the demo
data with a real Celery worker: the home page says what needs attention; the pending
entries are moderated with a reason the contestant receives; a fraud flag is read as a
sentence and confirmed; a report is requested from the campaign's page, read, and its
XLSX checked with openpyxl; then the pilots are compared. Every list on the way fits the
window (``assert_fits_width``), and every step leaves a screenshot (``60-…``).

The steps are the ones of the parts' own walks (test_admin_home, test_moderation,
test_reports_journey), composed here in the order of a day.
"""

import io
import re
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from demo.seed import CONTEST_SLUG, STAFF_USERNAME, demo_password
from reports.exports.workbook import MONEY_FORMAT, PERCENT_FORMAT
from reports.models import Report
from tests.browser.conftest import (
    LAPTOP_VIEWPORT,
    TASK_TIMEOUT_MS,
    assert_fits_width,
    file_sms_backend,
    log_in,
)
from tests.browser.test_admin_home import click_attention, open_home
from tests.browser.test_moderation import (
    confirm_flag,
    moderate_with_reason,
    read_flag,
    scan_now_and_wait,
    sms_to,
)
from tests.browser.test_reports_journey import compare_pilots, download_report_xlsx, read_report
from tests.factories import VoterFactory
from voting.models import Entry, FraudFlag, Vote

pytestmark = pytest.mark.worker

CONTESTANT_PHONE = "+8613900006666"


@pytest.fixture
def viewport():
    return LAPTOP_VIEWPORT


@pytest.fixture(scope="module", autouse=True)
def sms_folder(tmp_path_factory):
    """The file SMS backend, set before the module's worker starts (it sends the
    rejection SMS)."""
    with file_sms_backend(tmp_path_factory.mktemp("sms-managers-day")) as folder:
        yield folder


def test_a_managers_day(page, step, celery_worker, sms_folder, tmp_path):
    settings.SMS_BACKEND = "memory"  # the worker sends; this process must not
    call_command("seed_demo", stdout=io.StringIO())
    contest = Campaign.objects.select_related("pilot__school").get(slug=CONTEST_SLUG)
    entry = (
        Entry.objects.filter(campaign=contest, status=Entry.Status.PENDING)
        .exclude(photo="")
        .order_by("pk")
        .first()
    )
    Entry.objects.filter(pk=entry.pk).update(voter=VoterFactory(phone=CONTESTANT_PHONE))
    log_in(page, STAFF_USERNAME, demo_password())

    # Morning: what needs me today?
    open_home(page, step, "60-day-home")
    attention = page.locator("#home-attention")
    expect(attention.locator("[data-testid=attention-entries-pending]")).to_contain_text("待审核")
    click_attention(page, step, "entries-pending", "61-day-pending-from-home")
    assert_fits_width(page)

    with step("62-day-rejected-with-a-reason"):
        moderate_with_reason(page, entry.name, "照片模糊", "请换一张清晰的照片")
        expect(page.locator("#result_list tbody tr", has_text=entry.name)).to_have_count(0)
        assert_fits_width(page)
    entry.refresh_from_db()
    assert entry.status == Entry.Status.REJECTED
    assert "照片模糊" in sms_to(sms_folder, CONTESTANT_PHONE)

    # The vote farm the night left behind.
    with step("63-day-scan-now"):
        scan_now_and_wait(page)
        assert_fits_width(page)
    flag = FraudFlag.objects.get(campaign=contest, kind=FraudFlag.Kind.DEVICE_CLUSTER)
    (target_id,) = set(flag.votes.values_list("entry_id", flat=True))
    target = Entry.objects.get(pk=target_id)
    sentence = re.compile(rf"\d+ 个账号在 \d+ 分钟内用同一设备为 {re.escape(target.name)} 投票")
    with step("64-day-flag-read"):
        read_flag(page, sentence)
        assert not re.search(r"\d{4}-\d\d-\d\dT", page.locator("#content").inner_text())
        assert_fits_width(page)
    with step("65-day-flag-confirmed"):
        confirm_flag(page, "同一设备凌晨批量注册投票")
    flag.refresh_from_db()
    assert flag.status == FraudFlag.Status.CONFIRMED
    assert not flag.votes.filter(status=Vote.Status.VALID).exists()

    # Afternoon: the campaign's report, asked for from the campaign's own page.
    with step("66-day-campaign-page"):
        page.goto(f"/admin/campaigns/campaign/{contest.pk}/change/")
        link = page.locator("#campaign-panel [data-testid=request-campaign-report]")
        expect(link).to_be_visible()
        link.click()
        expect(page.locator("#report-request-subject")).to_contain_text(contest.title)
    with step("67-day-report-computed"):
        page.locator("#report-request-confirm").click()
        expect(page).to_have_url(re.compile(r"/admin/reports/report/\d+/change/$"))
        expect(page.locator("#report-kpis")).to_be_visible(timeout=TASK_TIMEOUT_MS)
    report = Report.objects.get(campaign=contest)
    assert report.status == Report.Status.DONE
    read_report(page, step, "68-day-report-read")

    book = download_report_xlsx(page, step, "69-day-report-xlsx", tmp_path)
    assert book.sheetnames[:3] == ["摘要", "成本", "校园大使"]
    summary = {row[0].value: row for row in book["摘要"].iter_rows() if row[0].value}
    assert summary["结论"][1].value in ("复制", "改进", "停止")
    assert isinstance(summary["总成本"][1].value, int | float)
    assert summary["总成本"][1].number_format == MONEY_FORMAT
    assert isinstance(summary["7日留存"][1].value, int | float | type(None))
    assert summary["7日留存"][1].number_format == PERCENT_FORMAT
    generated = summary["生成时间"][1].value
    assert isinstance(generated, datetime)
    # Beijing time, as the manager's clock reads: not UTC.
    local = timezone.localtime(report.generated_at).replace(tzinfo=None)
    assert abs(generated - local) < timedelta(seconds=1)
    # Named by its title, not its slug.
    texts = [str(c.value) for row in book["摘要"].iter_rows() for c in row if c.value]
    assert any(contest.title in text for text in texts)
    assert not any(contest.slug in text for text in texts)

    # Evening: is this pilot worth copying? Its report, from the pilot's page, then the
    # comparison with the others.
    with step("70-day-pilot-report"):
        page.goto(f"/admin/campaigns/pilot/{contest.pilot.pk}/change/")
        page.locator("#pilot-panel [data-testid=request-pilot-report]").click()
        expect(page.locator("#report-request-subject")).to_contain_text(contest.pilot.name)
        page.locator("#report-request-confirm").click()
        expect(page.locator("#report-kpis")).to_be_visible(timeout=TASK_TIMEOUT_MS)
    compare_pilots(page, step, "70-day-compare", contest.pilot.name)
    with step("71-day-reports-list"):
        page.goto("/admin/reports/report/")
        expect(page.locator("#result_list tbody tr")).not_to_have_count(0)
        assert_fits_width(page)
