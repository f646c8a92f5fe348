"""Export → import, for every kind, every export format and both languages: what the
admin exports in zh-hans imports back through the English command line (and the other
way round) and changes nothing."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from campaigns.models import Campaign
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    EntryFactory,
    ExpenseFactory,
    PilotFactory,
    RoundFactory,
    WorkLogFactory,
)
from tests.spreadsheet_files import roster_snapshot, run_import

pytestmark = pytest.mark.django_db

FORMATS = {"xlsx": 0, "csv": 1, "xls": 2}
MODELS = {
    "ambassadors": "ambassadors_ambassador",
    "worklogs": "ambassadors_worklog",
    "expenses": "campaigns_expense",
    "contestants": "voting_entry",
}
OTHER = {"zh-hans": "en", "en": "zh-hans"}


@pytest.fixture
def world(school_a):
    pilot = PilotFactory(
        school=school_a, starts_on=dt.date(2025, 9, 1), ends_on=dt.date(2026, 1, 31)
    )
    campaign = CampaignFactory(
        pilot=pilot, slug="fudan-run", kind=Campaign.Kind.DAILY_TOPIC, with_round=False
    )
    first = RoundFactory(campaign=campaign, number=1, topic="晨跑打卡")
    second = RoundFactory(campaign=campaign, number=2, topic="")
    lead = AmbassadorFactory(
        school=school_a, student_id="0230120003", name="王五", role="lead", stipend=100
    )
    intern = AmbassadorFactory(school=school_a, student_id="007", name="Li Lei", active=False)
    WorkLogFactory(ambassador=lead, date=dt.date(2025, 11, 9), task="摆摊宣传，发传单！")
    WorkLogFactory(ambassador=intern, date=dt.date(2025, 11, 10), hours=2, approved=True)
    for category, note in (("advertising", "海报，横幅！"), ("pr", ""), ("other", "=SUM(1)")):
        ExpenseFactory(
            pilot=pilot,
            category=category,
            note=note,
            amount=Decimal("1500.50"),
            spent_on=dt.date(2025, 11, 9),
        )
    EntryFactory(campaign=campaign, round=first, caption="每天5公里，坚持第100天！")
    EntryFactory(campaign=campaign, round=second, caption="-跑起来", student_id="0042")
    return campaign


def export(client, kind: str, fmt: str, language: str) -> bytes:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse(f"admin:{MODELS[kind]}_export")
    form = client.get(url).context["form"]
    data = {"format": FORMATS[fmt], "resource": "0"}
    skip = ("format", "resource", "export_items")
    data.update({name: "on" for name in form.fields if name not in skip})
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:300]
    return response.content


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("kind", list(MODELS))
def test_an_export_imports_back_unchanged_in_the_other_language(
    world, ops_client, tmp_path, kind, fmt, language
):
    path = tmp_path / f"{kind}.{fmt}"
    path.write_bytes(export(ops_client, kind, fmt, language))
    before = roster_snapshot()
    args = [kind, str(path), "--school", "fudan", "--language", OTHER[language]]
    if kind == "contestants":
        args += ["--campaign", world.slug]
    code, out, err = run_import(*args)
    assert code == 0, out + err
    assert roster_snapshot() == before
    rows = {"ambassadors": 2, "worklogs": 2, "expenses": 3, "contestants": 2}[kind]
    # "... N rows: 0 new, 0 updated, N unchanged." in the command's language.
    assert re.findall(r"\d+", out.strip().splitlines()[-1])[-3:] == ["0", "0", str(rows)], out


def test_an_interns_export_with_masked_phones_imports_back_unchanged(
    world, ambassador_user, tmp_path
):
    client = Client()
    client.force_login(ambassador_user)
    content = export(client, "ambassadors", "xlsx", "zh-hans")
    path = tmp_path / "team.xlsx"
    path.write_bytes(content)
    before = roster_snapshot()
    code, out, err = run_import(
        "ambassadors", str(path), "--school", "fudan", "--user", ambassador_user.username
    )
    assert code == 0, out + err
    assert roster_snapshot() == before  # a masked phone keeps the stored phone


# --- the command's language ------------------------------------------------------------


def test_the_command_speaks_the_operators_language(world, tmp_path):
    from django.core.management import call_command

    from tests.spreadsheet_files import ambassador_rows, xlsx

    rows = ambassador_rows(2)
    rows[2][2] = "110"
    path = tmp_path / "team.xlsx"
    path.write_bytes(xlsx(rows))
    code, out, _err = run_import(
        "ambassadors", str(path), "--school", "fudan", "--language", "zh-hans"
    )
    assert code == 1
    assert out.startswith("第 3 行: 手机号: ")
    code, out, _err = run_import("ambassadors", str(path), "--school", "fudan", "--language", "en")
    assert out.startswith("row 3: 手机号: ")
    # Without --language: the site's LANGUAGE_CODE.
    import io

    from django.core.management import CommandError

    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_roster", "ambassadors", str(path), "--school", "fudan", stdout=out)
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert out.getvalue().startswith("第 3 行") and "未导入任何数据" in str(caught.value)
    with pytest.raises(CommandError):
        call_command(
            "import_roster", "ambassadors", str(path), "--school", "fudan", "--language", "fr"
        )


def test_the_command_reports_skipped_rows_and_a_gbk_currency_sign(world, tmp_path):
    from tests.spreadsheet_files import csv_bytes

    rows = [
        ["费用明细"],
        ["日期", "类别", "金额", "备注"],
        ["2025-11-09", "广告投放", "?1,500.00", "海报，横幅！"],
        ["合计", "", "1500", ""],
    ]
    path = tmp_path / "expenses.csv"
    path.write_bytes(csv_bytes(rows, "gbk"))
    code, out, err = run_import("expenses", str(path), "--school", "fudan")
    assert code == 0, out + err
    assert "row 1: skipped: a title row above the header" in out
    assert 'row 3: 金额: "?1,500.00" read as ¥1500.00' in out
    assert "row 4: skipped: a total row" in out
    from campaigns.models import Expense

    assert Expense.objects.filter(note="海报，横幅！", amount=Decimal("1500")).exists()
    # The same bytes as UTF-8 are not a GBK file: the "?" is refused, saying why.
    path.write_bytes(csv_bytes(rows, "utf-8"))
    code, out, err = run_import("expenses", str(path), "--school", "fudan")
    assert code == 1 and 'save it as "CSV UTF-8"' in out
