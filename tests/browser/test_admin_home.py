"""The manager's home and the linked admin pages in a real browser, on a 1366 px laptop
in zh-hans (home/, campaigns/admin_audit.py, the import page's column guide).

Each step is a function taking the logged-in page, so a longer journey can compose them.
"""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.audit import audit_record
from campaigns.models import Campaign, ImportJob, Pilot, School
from demo.seed import CONTEST_SLUG, INTERN_USERNAME, STAFF_USERNAME, demo_password
from tests.browser.conftest import LAPTOP_VIEWPORT, assert_fits_width, log_in
from voting.models import Entry


@pytest.fixture
def viewport():
    return LAPTOP_VIEWPORT


def assert_panel_fits(panel) -> None:
    """The panel itself never scrolls sideways (the form below it is the form's own)."""
    wide = panel.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert wide[0] <= wide[1] + 1, f"the panel scrolls sideways: {wide}"
    box = panel.bounding_box()
    assert box["x"] + box["width"] <= LAPTOP_VIEWPORT["width"], box


def open_home(page, step, name: str = "10-home-staff") -> None:
    with step(name):
        page.goto("/admin/")
        expect(page.locator("#home-attention")).to_be_visible()
        assert_fits_width(page)


def click_attention(page, step, key: str, name: str) -> None:
    """Click the count of one attention item; land on its filtered list."""
    with step(name):
        item = page.locator(f"[data-testid=attention-{key}] a.attention-main")
        count = int(item.locator(".attention-count").inner_text())
        item.click()
        # The lists themselves (entries, fraud flags...) are other pages' to fit.
        expect(page.locator("#result_list tbody tr")).to_have_count(min(count, 100))


def pilot_page(page, step, pilot: Pilot, name: str) -> None:
    with step(name):
        page.goto(reverse("admin:campaigns_pilot_change", args=[pilot.pk]))
        panel = page.locator("#pilot-panel")
        for campaign in pilot.campaigns.all():
            expect(panel.get_by_role("link", name=campaign.title, exact=True)).to_be_visible()
        expect(panel.locator("[data-testid=pilot-spend]")).to_contain_text("合计")
        expect(panel.locator("progress.spend-bar")).to_be_visible()
        expect(panel.locator("[data-testid=request-pilot-report]")).to_have_attribute(
            "href", f"/admin/reports/report/add/?pilot={pilot.pk}"
        )
        assert_fits_width(page)


def campaign_page(page, step, campaign: Campaign, name: str) -> None:
    with step(name):
        page.goto(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
        panel = page.locator("#campaign-panel")
        expect(panel.locator("[data-testid=campaign-standing] ol li").first).to_be_visible()
        expect(panel.locator("[data-testid=campaign-site-link]")).to_have_attribute(
            "href", f"/c/{campaign.slug}/"
        )
        assert_panel_fits(panel)
        pending = Entry.objects.filter(campaign=campaign, status="pending").count()
        panel.locator("[data-testid=campaign-pending]").click()
        expect(page.locator("#result_list tbody tr")).to_have_count(pending)


def audit_log_readable(page, step, name: str) -> None:
    with step(name):
        page.goto("/admin/campaigns/auditlog/")
        table = page.locator("#result_list")
        expect(table).to_contain_text("投票规则或时间在投票开始后被修改")
        expect(table).not_to_contain_text("campaign.policy_change")
        expect(table).not_to_contain_text("活动 | 活动")
        assert_fits_width(page)


def audit_entry_readable(page, step, name: str) -> None:
    with step(name):
        row = page.locator("#result_list tbody tr", has_text="投票规则或时间在投票开始后被修改")
        row.locator("th a").click()
        details = page.locator(".audit-details")
        expect(details).to_contain_text("新值: 每人每天的票数上限: 5")
        expect(details).not_to_contain_text("{")
        assert_fits_width(page)


def import_form_columns(page, step, name: str) -> None:
    with step(name):
        page.goto("/admin/ambassadors/ambassador/")
        page.locator(".object-tools a[href$='/import/']").click()
        guide = page.locator("#import-columns")
        expect(guide.locator("tr.column-required th")).to_have_text(["姓名", "学号"])
        expect(guide.locator("tr[data-field=role]")).to_contain_text("组长")
        expect(guide.locator("tr[data-field=active]")).to_contain_text("在职")
        expect(page.get_by_role("link", name="下载模板（XLSX）")).to_be_visible()
        assert_fits_width(page)


def list_fits(page, step, url: str, name: str) -> None:
    with step(name):
        page.goto(url)
        expect(page.locator("#changelist")).to_be_visible()
        assert_fits_width(page)


def _history(staff) -> None:
    """What a week leaves in the log and the import jobs."""
    contest = Campaign.objects.get(slug=CONTEST_SLUG)
    audit_record(
        actor=staff,
        action="campaign.policy_change",
        target=contest,
        reason="赞助商要求把每天的票数从 3 票提高到 5 票，并延长投票时间到周日晚上十点" * 2,
        data={"fields": {"votes_per_day": "5"}, "previous": {"votes_per_day": "3"}},
    )
    audit_record(actor=staff, action="votes.invalidate", target=contest, data={"votes": 14})
    school = contest.pilot.school
    ImportJob.objects.create(
        kind="ambassadors",
        school=school,
        file_name="复旦大学校园大使团队名单（2026 秋季学期，含组长与实习生）最终版.xlsx",
        status=ImportJob.Status.FAILED,
        errors=[{"line": 3, "message": "学号：必填"}],
        finished_at=timezone.now(),
        created_by=staff,
    )
    ImportJob.objects.create(
        kind="worklogs", school=school, file_name="工时.xlsx", status=ImportJob.Status.WRITING
    )


def test_the_managers_home_and_linked_pages(page, step):
    call_command("seed_demo", stdout=io.StringIO())
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.get(username=STAFF_USERNAME)
    _history(staff)
    contest = Campaign.objects.get(slug=CONTEST_SLUG)
    log_in(page, STAFF_USERNAME, demo_password())

    open_home(page, step)
    expect(page.locator("#home-system")).to_have_count(0)
    expect(page.locator("#content-main")).not_to_contain_text("Celery")
    click_attention(page, step, "entries-pending", "11-home-to-pending-entries")
    expect(page.locator("#changelist-filter .selected", has_text="待处理")).to_be_visible()
    open_home(page, step, "11-home-again")
    click_attention(page, step, "imports-failed", "11-home-to-failed-imports")

    pilot_page(page, step, contest.pilot, "12-pilot-panel")
    campaign_page(page, step, contest, "13-campaign-panel")
    audit_log_readable(page, step, "14-audit-log")
    audit_entry_readable(page, step, "14-audit-entry")
    import_form_columns(page, step, "15-import-columns")
    for name, url in (
        ("pilots", "/admin/campaigns/pilot/"),
        ("schools", "/admin/campaigns/school/"),
        ("audit-log", "/admin/campaigns/auditlog/"),
        ("import-jobs", "/admin/campaigns/importjob/"),
        ("ambassadors", "/admin/ambassadors/ambassador/"),
        ("worklogs", "/admin/ambassadors/worklog/"),
    ):
        list_fits(page, step, url, f"16-list-{name}")
    assert School.objects.exists()


def test_an_interns_home_is_their_school(page, step):
    call_command("seed_demo", stdout=io.StringIO())
    log_in(page, INTERN_USERNAME, demo_password())
    with step("17-home-intern"):
        page.goto("/admin/")
        expect(page.locator("[data-testid=attention-entries-pending]")).to_be_visible()
        expect(page.locator("[data-testid=attention-fraud-open]")).to_have_count(0)
        expect(page.locator("#home-system")).to_have_count(0)
        assert_fits_width(page)
    for name, url in (
        ("ambassadors", "/admin/ambassadors/ambassador/"),
        ("worklogs", "/admin/ambassadors/worklog/"),
        ("import-jobs", "/admin/campaigns/importjob/"),
    ):
        list_fits(page, step, url, f"18-intern-list-{name}")
