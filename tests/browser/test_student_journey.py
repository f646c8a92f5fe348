"""A student's journey on the site, on a phone in WeChat: Debian's Chromium emulating an
iPhone with WeChat's user agent, against the live server and a real Celery worker.

A classmate scans an entry's share poster, lands on the entry, votes, signs in with the
code of the file SMS backend, and the vote lands; the second vote for the same entry is
refused in Chinese; the leaderboard shows the vote once the worker has refreshed it; the
new voter is attributed to the share. Then a contestant enters from the phone and staff
find the entry pending in the admin. Along the way: the pages work without JavaScript,
request nothing from any other host, and an entry page's first load stays in budget.
"""

import base64
import io
import re
from urllib.parse import urlparse

import pytest
import zxingcpp
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from demo.seed import CONTEST_SLUG, STAFF_USERNAME, demo_password
from tests.browser.conftest import (
    NAVIGATION_TIMEOUT_MS,
    TASK_TIMEOUT_MS,
    Steps,
    file_sms_backend,
    log_in,
    sms_message_to,
)
from tests.celery_worker import wait_until
from voting.models import Entry, LeaderboardSnapshot, Vote, Voter
from voting.tasks.leaderboards import leaderboard_refresh

pytestmark = pytest.mark.worker

WECHAT_IPHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "user_agent": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) "
        "NetType/WIFI Language/zh_CN"
    ),
}
PHONE = "13912340001"
# SPEC "Student site": an entry page's first load, HTML + CSS + JS.
FIRST_LOAD_BUDGET_BYTES = 150 * 1024


@pytest.fixture
def phone(browser, live_server):
    """A new WeChat-on-iPhone context, logging every host its pages ask for."""
    context = browser.new_context(base_url=live_server.url, **WECHAT_IPHONE)
    context.set_default_timeout(15_000)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    context.hosts = set()
    # data: and blob: URLs (a chosen photo's preview) never leave the phone.
    context.on(
        "request",
        lambda request: (
            context.hosts.add(urlparse(request.url).netloc)
            if urlparse(request.url).scheme not in ("data", "blob")
            else None
        ),
    )
    yield context
    context.close()


@pytest.fixture(scope="module", autouse=True)
def sms_folder(tmp_path_factory):
    """Where the file SMS backend writes the codes: a worker sends them
    (``voting.tasks.otp_sms_send``), started after this."""
    with file_sms_backend(tmp_path_factory.mktemp("sms")) as folder:
        yield folder


def sms_code(folder, phone_e164: str) -> str:
    """The code the worker sent to ``phone_e164``."""
    return sms_message_to(folder, phone_e164)["code"]


def first_load_bytes(page, url: str) -> int:
    """HTML, CSS and JS bytes of one load of ``url`` in a fresh context (no cache)."""
    responses = []

    def collect(response):
        responses.append(response)

    page.on("response", collect)
    page.goto(url)
    page.wait_for_load_state("load")
    page.remove_listener("response", collect)
    kinds = {"document", "stylesheet", "script"}
    counted = [r for r in responses if r.request.resource_type in kinds and r.status < 300]
    return sum(len(r.body()) for r in counted)


def test_student_journey(
    browser, phone, page, live_server, celery_worker, settings, tmp_path, sms_folder
):
    settings.SITE_URL = live_server.url  # posters' QR codes lead to this server
    settings.SMS_BACKEND, settings.SMS_FILE_PATH = "file", str(sms_folder)
    call_command("seed_demo", stdout=io.StringIO())
    entry = (
        Entry.objects.filter(campaign__slug=CONTEST_SLUG, status=Entry.Status.APPROVED)
        .order_by("pk")
        .first()
    )
    mobile = phone.new_page()
    step = Steps(mobile)
    site = urlparse(live_server.url).netloc

    with step("01-poster-qr-code"):
        poster = mobile.request.get(f"/api/v1/campaigns/{CONTEST_SLUG}/entries/{entry.pk}/poster/")
        assert poster.ok and poster.headers["content-type"] == "image/jpeg"
        codes = [c.text for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(poster.body())))]
        assert codes == [f"{live_server.url}/s/{entry.share_code}"]
        # The poster as the student sees it in the chat before long-pressing it.
        mobile.set_content(
            '<img style="width:100%" src="data:image/jpeg;base64,'
            + base64.b64encode(poster.body()).decode()
            + '">'
        )

    with step("02-entry-page-from-the-qr-code"):
        budget_page = phone.new_page()
        loaded = first_load_bytes(budget_page, codes[0])
        budget_page.close()
        assert loaded < FIRST_LOAD_BUDGET_BYTES, f"first load {loaded} bytes"
        print(f"entry page first load: {loaded} bytes of HTML, CSS and JS")
        mobile.goto(codes[0])
        assert mobile.url.endswith(f"/c/{CONTEST_SLUG}/e/{entry.pk}/?ref={entry.share_code}")
        expect(mobile.get_by_test_id("entry-name")).to_have_text(entry.name)
        photo = mobile.get_by_test_id("entry-photo")
        expect(photo).to_be_visible()
        assert photo.evaluate("img => img.complete && img.naturalWidth > 0")
        votes_before = int(mobile.get_by_test_id("vote-count").inner_text())

    with step("03-vote-asks-to-sign-in"):
        mobile.get_by_test_id("vote-button").click()
        expect(mobile.get_by_test_id("phone-input")).to_be_visible()
        assert "/login/" in mobile.url

    with step("04-code-sent"):
        mobile.get_by_test_id("phone-input").fill(PHONE)
        mobile.get_by_test_id("send-code").click()
        expect(mobile.get_by_role("status")).to_contain_text("验证码已发送")
        code = sms_code(sms_folder, "+86" + PHONE)

    with step("05-signed-in-and-the-vote-lands"):
        mobile.get_by_test_id("code-input").fill(code)
        mobile.get_by_test_id("sign-in-button").click()
        expect(mobile.get_by_test_id("vote-message")).to_contain_text("投票成功")
        expect(mobile.get_by_test_id("remaining-today")).to_have_text("2")  # 3 a day, 1 used
        expect(mobile.get_by_test_id("vote-count")).to_have_text(str(votes_before + 1))
    voter = Voter.objects.get(phone="+86" + PHONE)
    assert Vote.objects.filter(voter=voter, entry=entry, status=Vote.Status.VALID).count() == 1

    with step("06-second-vote-refused-in-chinese"):
        mobile.get_by_test_id("vote-button").click()
        message = mobile.get_by_test_id("vote-message")
        expect(message).to_contain_text("你今天给该作品的票数已用完。")
        expect(message).to_contain_text("（北京时间）起可以再投")
        expect(mobile.get_by_test_id("remaining-today")).to_have_text("2")
    assert Vote.objects.filter(voter=voter).count() == 1

    with step("07-leaderboard-after-refresh"):
        leaderboard_refresh.delay(entry.campaign_id)

        def refreshed():
            snapshot = LeaderboardSnapshot.objects.filter(round=entry.round).latest()
            row = next(r for r in snapshot.standings if r["entry_id"] == entry.pk)
            return row["votes"] == votes_before + 1

        wait_until(refreshed, worker=celery_worker, timeout=TASK_TIMEOUT_MS / 1000)
        mobile.goto(f"/c/{CONTEST_SLUG}/leaderboard/")
        mobile.reload()
        row = mobile.get_by_test_id("leaderboard-row").filter(has_text=entry.name)
        expect(row).to_contain_text(f"{votes_before + 1} 票")

    # The new voter came by the share link: attributed to it, as through the API.
    voter.refresh_from_db()
    assert voter.channel == Voter.Channel.SHARE
    assert (voter.attributed_entry_id, voter.attributed_campaign_id) == (
        entry.pk,
        entry.campaign_id,
    )

    with step("08-campaign-page"):
        mobile.goto(f"/c/{CONTEST_SLUG}/")
        expect(mobile.get_by_test_id("entry-card").first).to_be_visible()
        assert mobile.get_by_test_id("entry-card").count() >= 10

    with step("09-photo-chosen-on-the-phone"):
        picture = tmp_path / "跑步.jpg"
        Image.new("RGB", (900, 1200), (40, 120, 200)).save(picture, "JPEG")
        mobile.goto(f"/c/{CONTEST_SLUG}/submit/")
        mobile.get_by_label("你的名字").fill("韩梅梅")
        mobile.get_by_label("一句话介绍你的照片").fill("第一次跑进 25 分钟！")
        mobile.locator('input[type="file"]').set_input_files(picture)
        expect(mobile.locator("[data-preview]")).to_be_visible()

    with step("10-entry-submitted"):
        mobile.get_by_test_id("submit-button").click()
        expect(mobile.get_by_test_id("submit-message")).to_contain_text("正在等待审核")
    submitted = Entry.objects.get(name="韩梅梅")
    assert submitted.status == Entry.Status.PENDING and submitted.voter_id == voter.pk

    with step("11-my-votes"):
        mobile.goto("/me/votes/")
        expect(mobile.locator(".list li").first).to_contain_text(entry.name)

    # Nothing but the site was asked for anything, on any page of the phone.
    assert phone.hosts == {site}, phone.hosts

    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, **WECHAT_IPHONE
    )
    try:
        plain = context.new_page()
        plain_step = Steps(plain)
        with plain_step("12-no-javascript-campaign"):
            plain.goto(f"/c/{CONTEST_SLUG}/")
            assert plain.get_by_test_id("entry-card").count() >= 10
        with plain_step("13-no-javascript-entry"):
            plain.goto(f"/c/{CONTEST_SLUG}/e/{entry.pk}/")
            expect(plain.get_by_test_id("entry-name")).to_have_text(entry.name)
            expect(plain.get_by_test_id("vote-button")).to_be_enabled()
            assert re.fullmatch(r"\d+", plain.get_by_test_id("vote-count").inner_text())
        with plain_step("14-no-javascript-unknown-link"):
            response = plain.goto("/c/no-such-campaign/")
            assert response.status == 404
            expect(plain.locator("h1")).to_have_text("页面不存在")
    finally:
        context.close()

    admin_step = Steps(page)
    with admin_step("15-admin-sees-the-entry-pending"):
        log_in(page, STAFF_USERNAME, demo_password())
        page.goto("/admin/voting/entry/?status__exact=pending")
        expect(page.locator("#result_list tbody tr", has_text="韩梅梅")).to_have_count(1)
