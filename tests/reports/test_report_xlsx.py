"""The report's XLSX reads like a report (reports/exports/): labels in the reader's
language, numbers as numbers with ¥ and % formats, local times, titles not slugs, 是/否,
one sheet per table, the verdict on top; and no cell starts a formula."""

import io
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from reports import exports
from reports.exports.workbook import DATETIME_FORMAT, MONEY_FORMAT, PERCENT_FORMAT
from reports.models import Report
from tests.reports.conftest import HOSTILE, NOW

pytestmark = pytest.mark.django_db


def workbook(report: Report, language: str) -> openpyxl.Workbook:
    with translation.override(language):
        return openpyxl.load_workbook(io.BytesIO(exports.report_xlsx(report)))


def by_label(sheet) -> dict:
    return {row[0].value: row for row in sheet.iter_rows() if row[0].value is not None}


def test_sheets_and_labels_in_chinese(report):
    book = workbook(report, "zh-hans")
    assert book.sheetnames == ["摘要", "成本", "校园大使", "每周新用户群组", "渠道", "每日票数"]
    summary = book["摘要"]
    assert summary["A1"].value == "活动报告：夜跑挑战赛"  # the title, not the slug
    rows = by_label(summary)
    assert rows["学校"][1].value == "复旦大学"
    assert "night-run" not in {c.value for row in summary.iter_rows() for c in row}
    assert rows["新用户"][1].value == 5 and rows["新用户"][1].data_type == "n"
    assert {"次日留存", "7日留存", "30日留存"} <= set(rows)


def test_sheets_and_labels_in_english(report):
    book = workbook(report, "en")
    assert book.sheetnames == [
        "Summary",
        "Costs",
        "Ambassadors",
        "Weekly cohorts",
        "Channels",
        "Daily votes",
    ]
    rows = by_label(book["Summary"])
    assert book["Summary"]["A1"].value == "Campaign report: 夜跑挑战赛"
    assert {"New users", "7-day retention", "Cost per retained user"} <= set(rows)


def test_verdict_and_reasons_are_at_the_top(report):
    book = workbook(report, "zh-hans")
    first_rows = [[c.value for c in row] for row in book["摘要"].iter_rows(max_row=12)]
    labels = [row[0] for row in first_rows]
    verdict_at = labels.index("结论")
    assert verdict_at < 8
    decision = report.data["verdict"]["decision"]
    assert (
        first_rows[verdict_at][1]
        == {"replicate": "复制", "improve": "改进", "stop": "停止"}[decision]
    )
    reasons = [row[1] for row in first_rows if str(row[0]).startswith("理由")]
    assert len(reasons) == len(report.data["verdict"]["reasons"])
    assert all(reason and not reason.isascii() for reason in reasons)  # translated


def test_numbers_are_numbers_with_money_and_percent_formats(report):
    rows = by_label(workbook(report, "zh-hans")["摘要"])
    total = rows["总成本"][1]
    assert total.data_type == "n" and total.number_format == MONEY_FORMAT
    assert Decimal(str(total.value)) == Decimal(report.data["cost"]["total"])
    rate = rows["参与率"][1]
    assert rate.data_type == "n" and rate.number_format == PERCENT_FORMAT
    assert rate.value == pytest.approx(report.data["participation_rate"])
    assert rows["7日留存"][1].number_format == PERCENT_FORMAT
    per_1000 = rows["每千名学生参与人数"][1]
    assert per_1000.value == pytest.approx(0.6) and per_1000.data_type == "n"  # 6 of 10,000
    costs = by_label(workbook(report, "zh-hans")["成本"])
    assert costs["印刷"][1].value == 300 and costs["印刷"][1].number_format == MONEY_FORMAT
    assert costs["印刷"][2].number_format == PERCENT_FORMAT
    assert costs["合计"][1].number_format == MONEY_FORMAT


def test_times_are_local_datetimes_never_utc_iso(report):
    book = workbook(report, "zh-hans")
    generated = by_label(book["摘要"])["生成时间"][1]
    assert generated.is_date and generated.number_format == DATETIME_FORMAT
    assert generated.value == datetime(2026, 10, 17, 10, 0)  # Shanghai wall clock, not 02:00
    texts = [c.value for s in book.worksheets for row in s.iter_rows() for c in row]
    assert not any(isinstance(v, str) and "+00:00" in v for v in texts)
    weeks = [row[0].value for row in book["每周新用户群组"].iter_rows(min_row=2)]
    assert weeks and all(isinstance(w, datetime) for w in weeks)


def test_booleans_read_yes_no_and_tables_have_their_rows(report):
    book = workbook(report, "zh-hans")
    values = [c.value for s in book.worksheets for row in s.iter_rows() for c in row]
    assert not any(isinstance(v, bool) for v in values)
    assert "True" not in values and "False" not in values
    assert by_label(book["摘要"])["暂定结论"][1].value in ("是", "否")
    ambassadors = [row[0].value for row in book["校园大使"].iter_rows(min_row=2)]
    assert len(ambassadors) == 2  # two of the three brought a new user
    channels = {row[0].value for row in book["渠道"].iter_rows(min_row=2)}
    assert channels == {"分享链接", "校园大使", "直接访问"}


def test_no_cell_starts_a_formula_and_columns_have_widths(report):
    book = workbook(report, "zh-hans")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@\t\r":
                    pytest.fail(f"{sheet.title}!{cell.coordinate} starts a formula: {cell.value}")
        assert sheet.column_dimensions["A"].width >= 8
    names = {row[0].value for row in book["校园大使"].iter_rows(min_row=2)}
    assert names <= {"'" + name for name in HOSTILE[:3]}


def test_a_pilot_report_has_its_campaigns_sheet(report):
    pilot_report = Report.objects.create(
        pilot=report.pilot, status=Report.Status.DONE, data=report.data, generated_at=NOW
    )
    book = workbook(pilot_report, "zh-hans")
    assert book.sheetnames == ["摘要", "成本", "活动"]
    assert book["摘要"]["A1"].value == "试点报告：复旦跑步试点"
    assert [row[0].value for row in book["活动"].iter_rows(min_row=2)] == ["夜跑挑战赛"]


def test_the_export_view_answers_in_the_requesters_language(ops_client, report):
    url = reverse("admin:reports_report_export", args=[report.pk, "xlsx"])
    chinese = openpyxl.load_workbook(io.BytesIO(ops_client.get(url).content))
    english = openpyxl.load_workbook(
        io.BytesIO(ops_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content)
    )
    assert chinese.sheetnames[0] == "摘要" and english.sheetnames[0] == "Summary"


def test_an_unfinished_report_has_no_export(ops_client, report):
    pending = Report.objects.create(campaign=report.campaign)
    url = reverse("admin:reports_report_export", args=[pending.pk, "xlsx"])
    assert ops_client.get(url).status_code == 404


def test_the_csv_keeps_its_metric_keys_with_local_times(ops_client, report):
    url = reverse("admin:reports_report_export", args=[report.pk, "csv"])
    body = ops_client.get(url).content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig").replace("\r", "")
    assert text.startswith("metric,value\n") and "new_users,5\n" in text
    assert "generated_at,2026-10-17T10:00:00+08:00\n" in text
    assert "campaign,night-run\n" in text  # the contract key the scripts read


def test_pilot_comparison_export(ops_client, report):
    pilot_data = {
        **report.data,
        "pilot": report.pilot_id,
        "pilot_name": "old name",
        "school": "fudan",
        "new_users_per_1000_students": 0.5,
        "verdict": {**report.data["verdict"], "provisional": False},
    }
    Report.objects.create(
        pilot=report.pilot, status=Report.Status.DONE, data=pilot_data, generated_at=NOW
    )
    response = ops_client.get(reverse("admin:reports_report_compare_export"))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["最终数据", "暂定数据"]
    header = [c.value for c in book["最终数据"][1]]
    assert {"次日留存", "7日留存", "30日留存"} <= set(header)
    row = book["最终数据"][2]
    values = dict(zip(header, row, strict=True))
    assert values["试点"].value == "复旦跑步试点" and values["学校"].value == "复旦大学"
    assert values["总成本"].number_format == MONEY_FORMAT
    assert values["7日留存"].number_format == PERCENT_FORMAT
    assert values["暂定"].value == "否"
