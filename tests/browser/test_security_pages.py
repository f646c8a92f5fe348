"""Pages under the Content-Security-Policy in a real browser (any violation fails the
test, tests/browser/conftest.py): Swagger UI from the sidecar's static files, the admin
login and its lockout page after too many wrong passwords (django-axes)."""

from playwright.sync_api import expect

from tests.browser.conftest import TEST_PASSWORD
from tests.factories import UserFactory


def test_swagger_ui_renders_the_api(page, step):
    with step("01-api-docs"):
        page.goto("/api/docs/")
        expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
        expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/auth/otp/")


def test_the_admin_login_locks_out_after_wrong_passwords(page, step):
    UserFactory(username="ops-browser", role="staff")
    with step("01-wrong-passwords"):
        for _ in range(4):
            page.goto("/admin/login/")
            page.fill("#id_username", "ops-browser")
            page.fill("#id_password", "not-the-password")
            page.click("#login-form [type=submit]")
            expect(page.locator(".errornote")).to_be_visible()
    with step("02-locked-out"):
        page.goto("/admin/login/")
        page.fill("#id_username", "ops-browser")
        page.fill("#id_password", "not-the-password")
        page.click("#login-form [type=submit]")
        expect(page.locator("#lockout-message")).to_be_visible()
    with step("03-right-password-still-refused"):
        page.goto("/admin/login/")
        page.fill("#id_username", "ops-browser")
        page.fill("#id_password", TEST_PASSWORD)
        page.click("#login-form [type=submit]")
        expect(page.locator("#lockout-message")).to_be_visible()
        expect(page.locator("#user-tools")).to_have_count(0)
