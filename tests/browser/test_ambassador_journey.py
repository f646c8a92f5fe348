"""An intern ambassador in a real browser: their own school's admin, a roster import
(preview, then confirm; a bad file shows its row errors and writes nothing), and another
school's pages refused."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ambassadors.models import Ambassador
from tests.browser.conftest import log_in, success_message
from tests.factories import AmbassadorFactory, CampaignFactory, PilotFactory
from tests.spreadsheet_files import ambassador_rows, csv_bytes, roster_snapshot, xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def other_school(school_b):
    """同济大学, with an ambassador and a campaign the intern of 复旦大学 must not see."""
    ambassador = AmbassadorFactory(school=school_b, name="赵一鸣")
    campaign = CampaignFactory(pilot=PilotFactory(school=school_b), title="同济校园跑者评选")
    return {"ambassador": ambassador, "campaign": campaign}


def upload_roster(page, name: str, content: bytes, mime_type: str) -> None:
    page.goto("/admin/ambassadors/ambassador/")
    page.locator(".object-tools a[href$='/import/']").click()
    # An intern has one school: the form chooses it already.
    expect(page.locator("#id_school option:checked")).to_have_text("复旦大学")
    page.set_input_files(
        "#id_import_file", {"name": name, "mimeType": mime_type, "buffer": content}
    )
    page.locator("#content form .submit-row [type=submit]").click()


def test_ambassador_imports_a_roster_with_preview_and_confirm(page, step, ambassador_user):
    with step("20-ambassador-login"):
        log_in(page, ambassador_user.username)
        expect(page.locator("#content h1")).to_have_text("运营管理")
        # Their own modules only: no voters, votes or fraud flags.
        expect(page.locator("#content-main")).to_contain_text("校园大使")
        expect(page.locator("#content-main")).not_to_contain_text("刷票嫌疑")
        expect(page.locator("#content-main")).not_to_contain_text("投票用户")

    with step("21-roster-import-preview"):
        upload_roster(page, "团队名单.xlsx", xlsx(ambassador_rows(3, pay=False)), XLSX_TYPE)
        expect(page.locator(".import-summary")).to_contain_text("新增 3 条")
        expect(page.locator("input[name=confirm]")).to_be_visible()
    # The preview is a dry run.
    assert not Ambassador.objects.filter(name__startswith="学生").exists()

    with step("22-roster-import-confirmed"):
        page.locator("input[name=confirm]").click()
        expect(success_message(page)).to_contain_text("团队名单.xlsx")
        for i in range(3):
            expect(page.locator("#result_list")).to_contain_text(f"学生{i}")
    assert set(
        Ambassador.objects.filter(name__startswith="学生").values_list("school__slug", flat=True)
    ) == {"fudan"}
    assert Ambassador.objects.filter(name__startswith="学生").count() == 3


def test_ambassador_sees_a_bad_files_row_errors_and_nothing_is_written(page, step, ambassador_user):
    rows = ambassador_rows(4, pay=False)
    rows[2][2] = "110"  # sheet row 3: not a phone number
    rows[4][1] = ""  # sheet row 5: no student id
    before = roster_snapshot()
    log_in(page, ambassador_user.username)

    with step("23-roster-import-row-errors"):
        # A GBK CSV, as Chinese Excel saves it.
        upload_roster(page, "名单.csv", csv_bytes(rows, "gbk"), "text/csv")
        problems = page.locator("ul.import-problems li")
        expect(problems).to_have_count(2)
        expect(problems.nth(0)).to_contain_text("3")
        expect(problems.nth(0)).to_contain_text("手机号")
        expect(problems.nth(1)).to_contain_text("5")
        expect(problems.nth(1)).to_contain_text("学号")
        expect(page.locator("input[name=confirm]")).to_have_count(0)
    assert roster_snapshot() == before


def test_ambassador_sees_only_their_school(page, step, ambassador_user, other_school):
    log_in(page, ambassador_user.username)

    with step("24-ambassador-own-school-only"):
        page.goto("/admin/ambassadors/ambassador/")
        expect(page.locator("#result_list")).to_contain_text("张三")
        expect(page.locator("#result_list")).not_to_contain_text("赵一鸣")
        page.goto("/admin/campaigns/campaign/")
        expect(page.locator("#content")).not_to_contain_text("同济校园跑者评选")

    with step("25-other-school-forbidden"):
        url = reverse("admin:ambassadors_ambassador_change", args=[other_school["ambassador"].pk])
        response = page.goto(url)
        assert response.status == 403
        # The admin's frame, in the user's language, with a way back.
        expect(page.locator("#content h1")).to_have_text("无权访问")
        expect(page.locator("#access-denied")).to_contain_text("只能查看本校的数据")
        expect(page.locator("body")).not_to_contain_text("赵一鸣")
        response = page.goto(
            reverse("admin:campaigns_campaign_change", args=[other_school["campaign"].pk])
        )
        assert response.status == 403
        expect(page.locator("body")).not_to_contain_text("同济校园跑者评选")
