"""The moderation queue and the fraud review on a 1366 px laptop, in zh-hans, on the demo
data, with a real Celery worker (the rejection SMS, the scan asked for with "Scan now").

Each step is a function taking a logged-in page, so a longer walk can reuse them:
``moderate_with_reason``, ``contestant_reads_the_reason``, ``scan_now_and_wait``,
``read_flag``, ``confirm_flag``, ``lists_fit_the_laptop``.
"""

import io
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from demo.seed import CONTEST_SLUG, STAFF_USERNAME, demo_password
from tests.browser.conftest import (
    LAPTOP_VIEWPORT,
    TASK_TIMEOUT_MS,
    Steps,
    assert_fits_width,
    file_sms_backend,
    log_in,
    sms_message_to,
    success_message,
)
from tests.browser.test_student_journey import WECHAT_IPHONE
from tests.factories import (
    CampaignFactory,
    EntryFactory,
    PrizeFactory,
    VoteFactory,
    VoterFactory,
)
from tests.web.helpers import sign_in_as
from voting.models import Entry, FraudFlag, PrizeAward, Vote
from voting.services.leaderboards import campaign_close

pytestmark = pytest.mark.worker

CONTESTANT_PHONE = "+8613900007777"


@pytest.fixture
def viewport():
    return LAPTOP_VIEWPORT


@pytest.fixture(scope="module", autouse=True)
def sms_folder(tmp_path_factory):
    """The file SMS backend, set before the module's worker starts (it sends the
    rejection SMS)."""
    with file_sms_backend(tmp_path_factory.mktemp("sms")) as folder:
        yield folder


def sms_to(folder, phone: str) -> str:
    return sms_message_to(folder, phone)["text"]


# --- Reusable steps -----------------------------------------------------------------------


def open_queue(page) -> None:
    """The entries list, as it opens: the pending ones."""
    page.goto("/admin/voting/entry/")
    expect(page.locator("#changelist-filter li.selected", has_text="待处理")).to_have_count(1)


def moderate_with_reason(page, entry_name: str, reason: str, note: str = "") -> None:
    """Reject ``entry_name`` from its row of the queue with ``reason`` (a label of the
    list) and ``note``; ends on the queue with the success message."""
    row = page.locator("#result_list tbody tr", has_text=entry_name)
    details = row.locator("details.moderate-reject")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    row.locator("select[name=reason]").select_option(label=reason)
    if note:
        row.locator("input[name=note]").fill(note)
    row.locator("button[value=reject]").click()
    expect(page.locator("ul.messagelist li").first).to_contain_text(entry_name)


def approve_in_place(page, entry_name: str) -> None:
    row = page.locator("#result_list tbody tr", has_text=entry_name)
    row.locator("button[value=approve]").click()
    expect(success_message(page)).to_contain_text(entry_name)


def contestant_reads_the_reason(mobile, entry: Entry, reason_text: str) -> None:
    mobile.goto(f"/c/{entry.campaign.slug}/e/{entry.pk}/")
    expect(mobile.get_by_test_id("entry-status")).to_have_text(f"未通过审核：{reason_text}")


def scan_now_and_wait(page) -> None:
    """Press "Scan now", read that it was sent, and reload until the scan is done."""
    page.goto("/admin/voting/fraudflag/")
    page.get_by_test_id("scan-now").click()
    expect(success_message(page)).to_contain_text("交给后台任务")
    deadline = time.monotonic() + TASK_TIMEOUT_MS / 1000
    while "最近扫描于" not in page.get_by_test_id("fraud-scans").inner_text():
        assert time.monotonic() < deadline, "the scan did not finish"
        time.sleep(1)
        page.reload()


def read_flag(page, sentence: re.Pattern) -> None:
    """Open the flag whose title matches ``sentence`` and read its evidence table."""
    link = page.locator("#result_list tbody tr th a", has_text=sentence).first
    expect(link).to_be_visible()
    link.click()
    evidence = page.locator(".field-evidence_table")
    expect(evidence).to_contain_text("各作品得票")
    expect(evidence).to_contain_text("部分投票者")


def confirm_flag(page, reason: str) -> None:
    """On a flag's page: confirm it with ``reason``, which invalidates its votes."""
    page.get_by_role("button", name="确认并作废投票…").click()
    page.fill("#id_reason", reason)
    page.locator("#content form [type=submit]").click()
    expect(success_message(page)).to_be_visible()


LISTS = {
    "entries": "/admin/voting/entry/?status__exact=all",
    "fraud-flags": "/admin/voting/fraudflag/",
    "votes": "/admin/voting/vote/",
    "voters": "/admin/voting/voter/",
    "prize-awards": "/admin/voting/prizeaward/",
}


def lists_fit_the_laptop(page, step: Steps, prefix: str) -> None:
    for name, url in LISTS.items():
        with step(f"{prefix}-list-{name}-fits-1366"):
            page.goto(url)
            expect(page.locator("#changelist")).to_be_visible()
            assert_fits_width(page)


# --- The walk -----------------------------------------------------------------------------


def test_moderation_and_fraud_review(page, step, browser, live_server, celery_worker, sms_folder):
    settings.SMS_BACKEND = "memory"  # the worker sends; this process must not
    call_command("seed_demo", stdout=io.StringIO())
    # A pending entry whose contestant signed up on the site (so has a phone).
    entry = (
        Entry.objects.filter(campaign__slug=CONTEST_SLUG, status=Entry.Status.PENDING)
        .exclude(photo="")
        .order_by("pk")
        .first()
    )
    contestant = VoterFactory(phone=CONTESTANT_PHONE)
    Entry.objects.filter(pk=entry.pk).update(voter=contestant)
    log_in(page, STAFF_USERNAME, demo_password())

    with step("20-queue-opens-on-pending"):
        open_queue(page)
        rows = page.locator("#result_list tbody tr")
        expect(rows).not_to_have_count(0)
        assert set(
            Entry.objects.filter(pk__in=_row_ids(page)).values_list("status", flat=True)
        ) == {Entry.Status.PENDING}
        row = rows.filter(has_text=entry.name)
        thumb = row.locator("img.entry-thumb")
        expect(thumb).to_have_attribute("loading", "lazy")
        assert thumb.bounding_box()["width"] >= 96
        if entry.caption:
            expect(row.locator(".entry-caption")).to_contain_text(entry.caption[:10])
        assert_fits_width(page)

    with step("21-reject-in-place-with-a-reason"):
        row = page.locator("#result_list tbody tr", has_text=entry.name)
        row.locator("details.moderate-reject summary").click()
        expect(row.locator("select[name=reason]")).to_be_visible()
        assert_fits_width(page)

    with step("22-rejected-contestant-told"):
        moderate_with_reason(page, entry.name, "与主题不符", "请上传跑步的照片")
        expect(success_message(page)).to_have_text(
            f"“{entry.name}”未通过审核：与主题不符（请上传跑步的照片）。已通过短信告知参赛者。"
        )
        expect(page.locator("#result_list tbody tr", has_text=entry.name)).to_have_count(0)
    entry.refresh_from_db()
    assert entry.status == Entry.Status.REJECTED and entry.rejection_reason == "off_topic"
    text = sms_to(sms_folder, CONTESTANT_PHONE)
    assert f"“{entry.name}”未通过审核：与主题不符（请上传跑步的照片）" in text

    phone = browser.new_context(base_url=live_server.url, **WECHAT_IPHONE)
    try:
        session = Client()
        sign_in_as(session, contestant)
        cookie = session.cookies[settings.SESSION_COOKIE_NAME].value
        phone.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
        mobile = phone.new_page()
        with Steps(mobile)("23-student-reads-the-reason"):
            contestant_reads_the_reason(mobile, entry, "与主题不符（请上传跑步的照片）")
    finally:
        phone.close()

    # --- Fraud review -----------------------------------------------------------------
    with step("24-fraud-scan-now"):
        scan_now_and_wait(page)
        assert_fits_width(page)
    flag = FraudFlag.objects.get(campaign__slug=CONTEST_SLUG, kind=FraudFlag.Kind.DEVICE_CLUSTER)
    target_ids = set(flag.votes.values_list("entry_id", flat=True))
    (target_id,) = target_ids  # the demo's farm votes for one entry
    target = Entry.objects.get(pk=target_id)
    sentence = re.compile(rf"\d+ 个账号在 \d+ 分钟内用同一设备为 {re.escape(target.name)} 投票")

    with step("25-fraud-flag-sentence"):
        expect(page.locator("#result_list tbody tr th a", has_text=sentence)).to_have_count(1)
        assert "device:" not in page.locator("#result_list").inner_text()

    with step("26-fraud-flag-evidence"):
        read_flag(page, sentence)
        expect(page.locator(".field-evidence_table")).to_contain_text(f"{target.name}: ")
        assert not re.search(r"\d{4}-\d\d-\d\dT", page.locator("#content").inner_text())
        assert_fits_width(page)

    with step("26-fraud-flag-confirmed"):
        confirm_flag(page, "同一设备凌晨批量注册投票（刷票）")
    flag.refresh_from_db()
    assert flag.status == FraudFlag.Status.CONFIRMED
    assert not flag.votes.filter(status=Vote.Status.VALID).exists()

    awards_to_list()
    lists_fit_the_laptop(page, step, "27")


def awards_to_list() -> None:
    """A closed campaign with long names and prizes awarded, so the awards list has rows."""
    ended = timezone.now() - timedelta(days=1)
    campaign = CampaignFactory(
        title="复旦校园跑步之星评选（秋季学期·研究生组·第二季）", voting_ends_at=ended
    )
    for i, n_votes in enumerate([3, 2, 1]):
        entry = EntryFactory(
            campaign=campaign,
            name=f"欧阳娜娜娜{i}号选手",
            voter=VoterFactory(phone=f"+8613600009{i:03d}"),
        )
        for k in range(n_votes):
            VoteFactory(entry=entry, cast_at=ended - timedelta(hours=1, minutes=k))
    PrizeFactory(campaign=campaign, name="智能运动手环（限量联名款）", rank_from=1, rank_to=3)
    assert campaign_close(campaign_id=campaign.pk)
    assert PrizeAward.objects.filter(campaign=campaign).count() == 3


def _row_ids(page) -> list[int]:
    hrefs = page.locator("#result_list tbody tr th a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return [int(m.group(1)) for h in hrefs if (m := re.search(r"/entry/(\d+)/", h))]
