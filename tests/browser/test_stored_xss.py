"""The stored-XSS path in a real browser: an intern uploads an HTML or SVG "receipt"
whose script would make them a superuser when a staff member opens it. The upload is
refused; and a file stored before uploads were checked (as the migration leaves one) is
downloaded, never rendered, so its script never runs in the admin's origin."""

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from campaigns.models import Expense
from core.storage import private_file_url
from tests.browser.conftest import log_in
from tests.factories import ExpenseFactory, PilotFactory, UserFactory

# What the attacker stored: a page that, opened by a staff user in the admin's
# origin, posts the intern's change form with "superuser" ticked.
PAYLOAD = """<!DOCTYPE html><html><body><h1>发票</h1><script>
localStorage.setItem("xss-ran", "1");
fetch("/admin/auth/user/%(id)d/change/").then(r => r.text()).then(html => {
  const doc = new DOMParser().parseFromString(html, "text/html");
  const form = new FormData(doc.querySelector("#user_form"));
  form.set("is_superuser", "on");
  return fetch("/admin/auth/user/%(id)d/change/", {method: "POST", body: form});
});
</script></body></html>"""
SVG_PAYLOAD = """<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10"
height="10"><script>localStorage.setItem("xss-ran", "1")</script></svg>"""


@pytest.fixture
def pilot(school_a):
    return PilotFactory(school=school_a, name="秋季试点")


def add_expense(page, receipt_name: str, content: bytes, mime_type: str) -> None:
    page.goto("/admin/campaigns/expense/add/")
    page.select_option("#id_pilot", label=page.locator("#id_pilot option").nth(1).inner_text())
    page.select_option("#id_category", "printing")
    page.fill("#id_amount", "88.00")
    page.fill("#id_spent_on", "2026-03-01")
    page.set_input_files(
        "#id_receipt", {"name": receipt_name, "mimeType": mime_type, "buffer": content}
    )
    page.locator("input[name=_save]").click()


def test_an_html_or_svg_receipt_is_refused(page, step, ambassador_user, pilot):
    log_in(page, ambassador_user.username)
    with step("60-receipt-html-refused"):
        add_expense(page, "发票.html", (PAYLOAD % {"id": ambassador_user.pk}).encode(), "text/html")
        expect(page.locator(".field-receipt .errorlist")).to_contain_text("凭证必须是照片")
    with step("61-receipt-svg-refused"):
        add_expense(page, "发票.svg", SVG_PAYLOAD.encode(), "image/svg+xml")
        expect(page.locator(".field-receipt .errorlist")).to_contain_text("凭证必须是照片")
    assert not Expense.objects.exists()


def test_a_stored_html_file_is_never_rendered(page, step, browser, live_server, school_a, pilot):
    intern = UserFactory(username="intern-x", role="ambassador")
    from tests.factories import AmbassadorFactory

    AmbassadorFactory(school=school_a, user=intern)
    staff = UserFactory(username="ops-x", role="staff", is_superuser=True)
    expense = ExpenseFactory(pilot=pilot, note="旧凭证")
    # As the migration leaves a receipt uploaded before the checks: its bytes, a new name.
    expense.receipt.save(
        "legacy.bin", ContentFile((PAYLOAD % {"id": intern.pk}).encode()), save=True
    )
    url = private_file_url(expense.receipt)

    log_in(page, staff.username)
    with step("62-staff-opens-the-receipt"):
        page.goto(f"/admin/campaigns/expense/{expense.pk}/change/")
        link = page.locator(".field-receipt a").first
        expect(link).to_have_attribute("href", url)
        with page.expect_download() as download:
            page.locator("#result_list, .field-receipt").locator(f"a[href='{url}']").first.click()
        assert download.value.suggested_filename.startswith("expense-")
        page.wait_for_timeout(1000)  # time a script would have had to run
    assert page.evaluate("localStorage.getItem('xss-ran')") is None
    intern.refresh_from_db()
    assert not intern.is_superuser

    response = page.request.get(url)
    assert response.status == 200
    headers = response.headers
    assert headers["content-disposition"].startswith("attachment")
    assert headers["content-type"] == "application/octet-stream"
    assert headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in headers["content-security-policy"]

    # The public media path of old does not have it; an anonymous browser gets 404.
    anonymous = browser.new_context(base_url=live_server.url)
    try:
        assert anonymous.request.get(url).status == 404
        assert anonymous.request.get(f"/media/{expense.receipt.name}").status == 404
    finally:
        anonymous.close()
