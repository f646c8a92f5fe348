"""Admin exports: scoped to the user's school, masked phones unless staff, and no cell of
any format can start a formula (re-read with openpyxl / xlrd / csv)."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
import xlrd
from django.urls import reverse

from ambassadors.models import Ambassador
from core.spreadsheets.sheet import FORMULA_TRIGGERS
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    EntryFactory,
    ExpenseFactory,
    UserFactory,
    VoteFactory,
    VoterFactory,
    WorkLogFactory,
)
from tests.spreadsheet_files import run_import
from voting.models import Voter
from voting.resources import VoterResource
from voting.services.leaderboards import leaderboard_refresh_campaign

pytestmark = pytest.mark.django_db

INJECTIONS = ["=1+1", "+86 cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)", "\t=1", "\r=1"]
FORMATS = {"xlsx": 0, "csv": 1, "xls": 2}  # campaigns.spreadsheets.EXPORT_FORMATS order


def export(client, model: str, fmt: str):
    """POST the export form with every column selected."""
    url = reverse(f"admin:{model}_export")
    form = client.get(url).context["form"]
    data = {"format": FORMATS[fmt], "resource": "0"}
    skip = ("format", "resource", "export_items")
    data.update({name: "on" for name in form.fields if name not in skip})
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    return response


def cells(response, fmt: str) -> list[list]:
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    if fmt == "xls":
        sheet = xlrd.open_workbook(file_contents=response.content).sheet_by_index(0)
        return [sheet.row_values(i) for i in range(sheet.nrows)]
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Chinese Excel
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def assert_no_formulas(rows: list[list]) -> None:
    for row in rows:
        for value in row:
            if isinstance(value, str):
                assert not value.startswith(FORMULA_TRIGGERS), repr(value)


@pytest.fixture
def hostile_world(school_a):
    """One of every exportable row, each text field a formula-injection attempt."""
    campaign = CampaignFactory(pilot__school=school_a, slug="c-a", pilot__name=INJECTIONS[0])
    ambassador = AmbassadorFactory(school=school_a, name=INJECTIONS[0], email="x@example.cn")
    WorkLogFactory(ambassador=ambassador, task=INJECTIONS[3])
    ExpenseFactory(pilot=campaign.pilot, note=INJECTIONS[1], amount=Decimal("12.50"))
    entry = EntryFactory(
        campaign=campaign, name=INJECTIONS[2], caption=INJECTIONS[4], student_id="0042"
    )
    voter = VoterFactory(school=school_a)
    VoteFactory(voter=voter, entry=entry, device_id=INJECTIONS[5], user_agent=INJECTIONS[0])
    leaderboard_refresh_campaign(campaign_id=campaign.pk)
    return {"campaign": campaign, "voter": voter}


MODELS = [
    "ambassadors_ambassador",
    "ambassadors_worklog",
    "campaigns_expense",
    "voting_entry",
    "voting_voter",
    "voting_vote",
    "voting_leaderboardsnapshot",
]


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("model", MODELS)
def test_no_exported_cell_starts_a_formula(ops_client, hostile_world, model, fmt):
    rows = cells(export(ops_client, model, fmt), fmt)
    assert len(rows) >= 2, rows  # headers and at least one row
    assert_no_formulas(rows)


def test_escaped_text_keeps_its_content(ops_client, hostile_world):
    rows = cells(export(ops_client, "voting_entry", "xlsx"), "xlsx")
    header, row = rows[0], rows[1]
    assert row[header.index("姓名")] == "'" + INJECTIONS[2]
    assert row[header.index("学号")] == "0042"  # text, zeros kept


def test_numbers_stay_numbers_in_binary_formats(ops_client, hostile_world):
    rows = cells(export(ops_client, "campaigns_expense", "xlsx"), "xlsx")
    assert rows[1][rows[0].index("金额")] == 12.5


def test_exported_roster_imports_back_unchanged(ops_client, school_a, tmp_path):
    AmbassadorFactory(school=school_a, name="=HYPERLINK(1)", student_id="007", phone="")
    AmbassadorFactory(school=school_a, name="李四", student_id="0100", stipend=Decimal("300"))
    for fmt in FORMATS:
        path = tmp_path / f"roster.{fmt}"
        path.write_bytes(export(ops_client, "ambassadors_ambassador", fmt).content)
        code, out, err = run_import("ambassadors", str(path), "--school", "fudan")
        assert code == 0, out + err
        assert "0 new, 0 updated, 2 unchanged" in out, (fmt, out)
    assert Ambassador.objects.get(student_id="007").name == "=HYPERLINK(1)"


def test_intern_exports_only_their_school_with_phones_masked(ambassador_client, school_a, school_b):
    AmbassadorFactory(school=school_a, name="本校", phone="+8613800138000")
    AmbassadorFactory(school=school_b, name="外校", phone="+8613900139000")
    rows = cells(export(ambassador_client, "ambassadors_ambassador", "csv"), "csv")
    names = {row[1] for row in rows[1:]}
    assert names == {"张三", "本校"}  # the intern and their teammate
    flat = "".join("".join(map(str, row)) for row in rows)
    assert "外校" not in flat and "同济大学" not in flat
    assert "+8613800138000" not in flat
    assert "+86138****8000" in flat


@pytest.mark.parametrize(
    "model",
    ["ambassadors_worklog", "campaigns_expense", "voting_entry", "voting_leaderboardsnapshot"],
)
def test_intern_export_never_contains_another_school(ambassador_client, school_a, school_b, model):
    for school, tag in ((school_a, "own-row"), (school_b, "other-row")):
        campaign = CampaignFactory(pilot__school=school, slug=f"c-{tag}")
        ambassador = AmbassadorFactory(school=school, name=tag)
        WorkLogFactory(ambassador=ambassador, task=tag)
        ExpenseFactory(pilot=campaign.pilot, note=tag)
        entry = EntryFactory(campaign=campaign, name=tag)
        VoteFactory(entry=entry)
        leaderboard_refresh_campaign(campaign_id=campaign.pk)
    flat = str(cells(export(ambassador_client, model, "csv"), "csv"))
    assert "own-row" in flat
    assert "other-row" not in flat


def test_voter_phones_are_masked_for_anyone_but_staff(ops_client, school_a):
    VoterFactory(school=school_a, phone="+8613800138000")
    rows = cells(export(ops_client, "voting_voter", "csv"), "csv")
    assert rows[1][0] == "'+8613800138000"  # staff see it (escaped: it starts with "+")
    # Anyone else (today only a login without a role, whose admin scope is empty
    # anyway) gets the masked number from the resource itself.
    auditor = UserFactory(username="auditor")
    (row,) = VoterResource(user=auditor).export(Voter.objects.all()).dict
    assert row["手机号"] == "+86138****8000"
    (row,) = VoterResource().export(Voter.objects.all()).dict
    assert row["手机号"] == "+86138****8000"


def test_leaderboard_export_lists_the_standings(ops_client, school_a):
    campaign = CampaignFactory(pilot__school=school_a, slug="lb")
    first = EntryFactory(campaign=campaign, name="第一")
    EntryFactory(campaign=campaign, name="第二")
    VoteFactory(entry=first)
    VoteFactory(entry=first)
    leaderboard_refresh_campaign(campaign_id=campaign.pk)
    rows = cells(export(ops_client, "voting_leaderboardsnapshot", "xlsx"), "xlsx")
    header = rows[0]
    assert header[:2] == ["活动", "轮次"]
    ranked = [
        (r[header.index("排名")], r[header.index("选手")], r[header.index("票数")])
        for r in rows[1:]
    ]
    assert ranked[0] == (1, "第一", 2)
