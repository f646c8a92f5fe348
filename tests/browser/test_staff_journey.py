"""An operations manager's day on the demo data, in a real browser.

One test, one seed: ``seed_demo`` takes seconds, and a live-server test flushes the
database afterwards, so the steps share it and each names itself (and saves its
screenshot) in ``step(...)``. A real Celery worker computes what the clicks ask for: the
leaderboard after votes are invalidated, and the report.
"""

import io
import re

import openpyxl
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from campaigns.models import Campaign, Pilot
from demo.seed import CONTEST_SLUG, STAFF_USERNAME, demo_password
from reports.models import Report
from tests.browser.conftest import TASK_TIMEOUT_MS, log_in, run_action, success_message
from tests.browser.test_moderation import moderate_with_reason
from tests.celery_worker import wait_until
from voting.models import Entry, FraudFlag, LeaderboardSnapshot, Vote

pytestmark = pytest.mark.worker


def standing_votes(page, entry_name: str) -> int:
    """The votes of ``entry_name`` in the standings table of a snapshot's page."""
    row = page.locator(".field-standings_table tbody tr", has_text=entry_name)
    expect(row).to_have_count(1)
    return int(row.locator("td").nth(2).inner_text())


def test_operations_staff_journey(page, step, celery_worker, tmp_path):
    call_command("seed_demo", stdout=io.StringIO())
    # The periodic fraud scan, run now: it finds the vote farm the demo plants.
    call_command("fraud_scan", CONTEST_SLUG, stdout=io.StringIO())
    contest = Campaign.objects.get(slug=CONTEST_SLUG)

    with step("01-staff-login"):
        log_in(page, STAFF_USERNAME, demo_password())
        expect(page.locator("#content h1")).to_have_text("运营管理")
        expect(page.locator("#site-name")).to_contain_text("校园推广活动管理")

    with step("02-language-english"):
        page.select_option("#language-switch select", "en")
        expect(page.locator("#content h1")).to_have_text("Operations")
        expect(page.locator("#site-name")).to_contain_text("Campus campaign manager")

    with step("03-language-back-to-chinese"):
        page.select_option("#language-switch select", "zh-hans")
        expect(page.locator("#content h1")).to_have_text("运营管理")
        expect(page.locator("#language-switch select")).to_have_value("zh-hans")

    # --- Moderation -------------------------------------------------------------------
    pending = list(
        Entry.objects.filter(campaign=contest, status=Entry.Status.PENDING).order_by("pk")
    )
    assert len(pending) >= 2, "the demo leaves entries to moderate"
    approved, rejected = pending[0], pending[1]

    with step("04-entries-pending"):
        page.goto("/admin/voting/entry/")
        page.locator("#changelist-filter").get_by_role("link", name="待处理").click()
        expect(page.locator("#result_list tbody tr", has_text=approved.name)).to_have_count(1)
        expect(page.locator("#result_list tbody tr", has_text=rejected.name)).to_have_count(1)

    with step("05-entry-approved"):
        run_action(page, "approve", approved.name)
        expect(success_message(page)).to_be_visible()
        # Back on the pending list: the approved entry has left it, the other stays.
        expect(page.locator("#result_list tbody tr", has_text=approved.name)).to_have_count(0)
        # A rejection carries its reason, given in its row (tests/browser/test_moderation.py).
        moderate_with_reason(page, rejected.name, "照片模糊")
        expect(page.locator("#result_list tbody tr", has_text=rejected.name)).to_have_count(0)
    approved.refresh_from_db()
    rejected.refresh_from_db()
    assert approved.status == Entry.Status.APPROVED
    assert rejected.status == Entry.Status.REJECTED

    # --- Fraud review and the leaderboard it changes ----------------------------------
    flag = FraudFlag.objects.get(campaign=contest, kind=FraudFlag.Kind.DEVICE_CLUSTER)
    suspect = flag.votes.filter(status=Vote.Status.VALID)
    farmed = suspect.count()
    assert farmed >= 5
    (target_id,) = set(suspect.values_list("entry_id", flat=True))
    target = Entry.objects.get(pk=target_id)
    snapshots = LeaderboardSnapshot.objects.filter(campaign=contest)
    snapshots_before = snapshots.count()
    list_url = f"/admin/voting/leaderboardsnapshot/?campaign__id__exact={contest.pk}"

    with step("06-leaderboard-before"):
        page.goto(list_url)
        page.locator("#result_list tbody tr th a").first.click()
        votes_before = standing_votes(page, target.name)
        assert votes_before >= farmed

    with step("07-fraud-flags"):
        page.goto("/admin/")
        page.get_by_role("link", name="刷票嫌疑", exact=True).click()
        expect(page.locator("#result_list tbody tr")).not_to_have_count(0)
        # Each flag reads as a sentence naming the entry (voting/selectors/fraud_review.py).
        page.locator("#result_list tbody tr th a", has_text=re.compile("用同一设备为")).click()
        suspects = page.locator(".field-suspect_votes_table tbody tr")
        expect(suspects).to_have_count(farmed)
        # The farm votes at 02:13 Shanghai time (voting/demo.py), shown as such, not in UTC.
        expect(suspects.first.locator("td").nth(1)).to_contain_text(" 02:1")

    with step("08-fraud-flag-reason"):
        page.get_by_role("button", name="确认并作废投票…").click()
        page.fill("#id_reason", "同一设备凌晨批量注册投票（刷票）")

    with step("09-fraud-flag-confirmed"):
        page.locator("#content form [type=submit]").click()
        expect(success_message(page)).to_contain_text(str(farmed))
    flag.refresh_from_db()
    assert flag.status == FraudFlag.Status.CONFIRMED
    assert not flag.votes.filter(status=Vote.Status.VALID).exists()

    with step("10-leaderboard-refresh-requested"):
        page.goto("/admin/campaigns/campaign/")
        run_action(page, "refresh_leaderboards", contest.title)
        expect(success_message(page)).to_be_visible()

    # The worker computes the new standing behind the page; then the manager reloads.
    wait_until(
        lambda: snapshots.count() > snapshots_before,
        worker=celery_worker,
        timeout=TASK_TIMEOUT_MS / 1000,
        what="a new leaderboard snapshot",
    )

    with step("11-leaderboard-after"):
        page.goto(list_url)
        expect(page.locator("#result_list tbody tr")).to_have_count(snapshots_before + 1)
        page.locator("#result_list tbody tr th a").first.click()
        assert standing_votes(page, target.name) == votes_before - farmed

    # --- The report -------------------------------------------------------------------
    with step("12-report-requested"):
        # The link a campaign's page carries (tests/browser/test_reports_journey.py).
        page.goto(f"/admin/reports/report/add/?campaign={contest.pk}")
        page.click("#report-request-confirm")
        expect(page).to_have_url(re.compile(r"/admin/reports/report/\d+/change/$"))

    with step("13-report-charts"):
        # The page refreshes itself while a worker computes the report.
        expect(page.locator("#report-kpis")).to_be_visible(timeout=TASK_TIMEOUT_MS)
        expect(page.locator(".report-charts figure svg")).to_have_count(4)
        expect(page.locator("#report-kpis")).to_contain_text("新用户")
        expect(page.locator(".report-charts")).to_contain_text("转化漏斗")
        page.locator(".report-charts figure").last.scroll_into_view_if_needed()
    report = Report.objects.get(campaign=contest)
    assert report.status == Report.Status.DONE
    new_users = report.data["new_users"]
    assert new_users > 0
    expect(page.locator("#report-kpis")).to_contain_text(str(new_users))

    with step("14-report-exported"):
        with page.expect_download() as download_info:
            page.locator("a[href$='/export/xlsx/']").click()
        download = download_info.value
        assert download.suggested_filename == f"report-{contest.slug}-{report.pk}.xlsx"
        path = tmp_path / download.suggested_filename
        download.save_as(path)
    summary = dict(
        row[:2] for row in openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True)
    )
    assert summary["活动报告：" + contest.title] is None  # the title, not the slug
    assert summary["新用户"] == new_users

    # --- Replicating the pilot to a school that has none ------------------------------
    pilot = contest.pilot
    with step("15-pilot-replicate-form"):
        page.goto("/admin/campaigns/pilot/")
        run_action(page, "replicate", pilot.name)
        page.select_option("#id_school", label="浙江大学")
        page.fill("#id_starts_on", "2027-03-01")
        page.fill("#id_name", "浙大校园跑步推广试点")
        # Then the copied campaigns' titles, filled in for the new school.
        page.locator("#replicate-form input[type=submit]").click()
        expect(page.locator("#replicate-titles")).to_be_visible()

    with step("16-pilot-replicated"):
        page.locator("#replicate-form input[type=submit]").click()
        expect(success_message(page)).to_contain_text("浙大校园跑步推广试点")
        expect(page).to_have_url(re.compile(r"/admin/campaigns/pilot/\d+/change/$"))
    copy = Pilot.objects.get(name="浙大校园跑步推广试点")
    assert copy.school.slug == "zju" and copy.replicated_from == pilot
    assert copy.campaigns.count() == pilot.campaigns.count()
    assert set(copy.campaigns.values_list("status", flat=True)) == {Campaign.Status.DRAFT}
