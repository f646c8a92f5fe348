"""Where the table is: title rows, merged cells, the sheet that holds the header (XLSX
and XLS alike), total rows; and the values a layout brings: dates without a year, a
GBK "?" for "¥", free text kept as typed, options in every language, rounds."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import xlwt
from django.utils import translation

from campaigns.rosters.matching import StudentIds, round_number
from core.spreadsheets import cleaners, layout, reading
from core.spreadsheets.headers import column
from core.spreadsheets.sheet import SKIP_TITLE, SKIP_TOTAL, CellError, SpreadsheetError

COLUMNS = [column("name", required=True), column("student_id", required=True), column("role")]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def workbook(sheets, active=0, merges=None) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for ref in (merges or {}).get(name, []):
            sheet.merge_cells(ref)
    book.active = active
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls_workbook(sheets, active=0, merges=None) -> bytes:
    book = xlwt.Workbook()
    for index, (name, rows) in enumerate(sheets):
        sheet = book.add_sheet(name)
        done = set()
        for top, left, bottom, right in (merges or {}).get(name, []):
            sheet.write_merge(top, bottom, left, right, rows[top][left])
            done |= {(r, c) for r in range(top, bottom + 1) for c in range(left, right + 1)}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None and (r, c) not in done:
                    sheet.write(r, c, value)
        # The sheet open when saved ("sheet_visible" in BIFF's WINDOW2 record).
        sheet.set_selected(index == active)
        sheet.set_sheet_visible(index == active)
    book.active_sheet = active
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


TEAM = [["姓名", "学号", "角色"], ["张三", "001", "组长"], ["李四", "002", None]]


@pytest.mark.parametrize("maker", [workbook, xls_workbook], ids=["xlsx", "xls"])
def test_the_sheet_read_is_the_one_with_the_header_active_first(maker):
    data = maker([("填写说明", [["请填写名单"]]), ("名单", TEAM), ("汇总", [["人数"], [2]])], 2)
    sheet = reading.read_sheet(data, columns=COLUMNS)
    assert sheet.name == "名单"
    assert [v[:2] for _l, v in sheet.rows] == [["张三", "001"], ["李四", "002"]]
    both = maker([("一班", TEAM), ("二班", [TEAM[0], ["王五", "003", None]])], 1)
    assert reading.read_sheet(both, columns=COLUMNS).name == "二班"  # the active one


@pytest.mark.parametrize("maker", [workbook, xls_workbook], ids=["xlsx", "xls"])
def test_no_sheet_with_the_header_names_every_sheet_read(maker):
    data = maker([("填写说明", [["请填写"]]), ("汇总", [["人数"], [2]])])
    with pytest.raises(SpreadsheetError) as caught:
        reading.read_sheet(data, columns=COLUMNS)
    assert '"填写说明"' in str(caught.value) and '"汇总"' in str(caught.value)
    assert "姓名, 学号" in str(caught.value)
    with pytest.raises(SpreadsheetError) as caught:
        reading.read_sheet(maker([("名单", [["姓名", "电话"], ["张三", "1"]])]), columns=COLUMNS)
    assert str(caught.value) == 'missing required column(s): 学号 (sheet "名单")'
    assert caught.value.line == 1


@pytest.mark.parametrize("maker", [workbook, xls_workbook], ids=["xlsx", "xls"])
def test_title_rows_and_merged_cells(maker):
    rows = [["复旦大学校园大使名单（2026年秋季）", None, None], *TEAM, ["钱七", "003", None]]
    xlsx_merges = {"名单": ["A1:C1", "C3:C4"]}
    xls_merges = {"名单": [(0, 0, 0, 2), (2, 2, 3, 2)]}
    data = maker([("名单", rows)], merges=xlsx_merges if maker is workbook else xls_merges)
    sheet = reading.read_sheet(data, columns=COLUMNS)
    assert sheet.header_line == 2
    assert sheet.skipped == [(1, SKIP_TITLE)]
    # The role merged over two rows is on both; the row below the merge keeps its own.
    assert [v for _l, v in sheet.rows] == [
        ["张三", "001", "组长"],
        ["李四", "002", "组长"],
        ["钱七", "003", None],
    ]


def test_a_header_below_the_search_depth_is_not_found():
    rows = [[f"说明 {i}"] for i in range(layout.HEADER_SEARCH_ROWS)] + TEAM
    with pytest.raises(SpreadsheetError, match="学号"):
        reading.read_sheet(workbook([("名单", rows)]), columns=COLUMNS)


def test_hostile_merges_are_bounded_and_create_no_rows():
    lines = [(1, ["x"]), (3, ["y", None])]
    filled = layout.fill_merges(lines, [(1, 1, 1_000_000, 16384), (3, 1, 3, 1)])
    assert [line for line, _v in filled] == [1, 3]  # no row made for 2, 4, ...
    assert len(filled[0][1]) == layout.MAX_MERGE_WIDTH
    assert filled[1][1][0] == "y"  # a cell's own value is never overwritten


@pytest.mark.parametrize("word", ["合计", "总计", "小计", "合 计：", "Total", "（合计）"])
def test_total_rows_are_skipped(word):
    data = workbook([("名单", [*TEAM, [word, None, None]])])
    sheet = reading.read_sheet(data, columns=COLUMNS)
    assert sheet.skipped == [(4, SKIP_TOTAL)] and len(sheet.rows) == 2


def test_a_name_containing_a_total_word_is_data():
    assert not layout.is_total_row(["合计小组", "001"])


# --- values ---------------------------------------------------------------------------

PILOT = ((dt.date(2025, 9, 1), dt.date(2026, 1, 31)),)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("11月9日", dt.date(2025, 11, 9)),
        ("1月5号", dt.date(2026, 1, 5)),
        ("１２月１日", dt.date(2025, 12, 1)),
    ],
)
def test_a_date_without_a_year_takes_the_pilots_year(text, expected):
    assert cleaners.clean_date(text, periods=PILOT) == expected


@pytest.mark.parametrize(
    "text, periods, message",
    [
        ("7月1日", PILOT, "outside the pilot period"),
        ("11月9日", (), "has no year"),
        ("2月30日", PILOT, "outside"),
        ("11月9日", ((dt.date(2024, 9, 1), dt.date(2025, 12, 31)),), "2024-11-09 or 2025-11-09"),
    ],
)
def test_a_date_without_a_year_is_refused_when_no_year_or_several_fit(text, periods, message):
    with pytest.raises(CellError, match=message):
        cleaners.clean_date(text, periods=periods)


def test_a_lost_currency_sign_is_read_from_a_gbk_file_and_explained_elsewhere():
    assert cleaners.clean_decimal("?1,500.00", lost_currency=True) == Decimal("1500.00")
    with pytest.raises(CellError, match="GBK"):
        cleaners.clean_decimal("?1,500.00")
    with pytest.raises(CellError, match="not a number"):
        cleaners.clean_decimal("?abc", lost_currency=True)


def test_free_text_is_kept_as_typed_and_keys_are_normalised():
    assert cleaners.clean_text(" 每天5公里，坚持第100天！ ") == "每天5公里，坚持第100天！"
    assert cleaners.clean_text("Ｈｉ  there") == "Ｈｉ  there"
    assert cleaners.clean_key(" Ｗａｎｇ　 Wei ") == "Wang Wei"
    assert cleaners.clean_text("'=1+1") == "=1+1"  # our export's escaping, undone


def test_options_match_in_every_language_whatever_language_is_active():
    from campaigns.models import Expense

    for language in ("en", "zh-hans"):
        with translation.override(language):
            options = cleaners.labels_in_every_language(Expense.Category.choices)
            assert options["广告投放"] == options["advertising"] == "advertising"
            assert cleaners.clean_choice("PR", options) == "pr"


@pytest.mark.parametrize(
    "text, number",
    [
        ("4", 4),
        ("第4轮", 4),
        ("第 4 天", 4),
        ("第四天", 4),
        ("第十二轮", 12),
        ("Round 4", 4),
        ("day 4", 4),
        ("R4", 4),
        ("第４轮", 4),
        ("二十一", None),
        ("夜跑", None),
        ("第轮", None),
    ],
)
def test_round_numbers(text, number):
    assert round_number(text) == number


def test_student_ids_from_csv_text_match_like_numbers():
    ids = StudentIds(["0230120003", "007", "0007"], loose=True)
    assert ids.resolve("230120003", "230120003") == "0230120003"
    assert ids.resolve("7", "7") == "7"  # two stored ids fit: taken as written
    assert StudentIds(["0230120003"]).resolve("230120003", "230120003") == "230120003"
    assert StudentIds(["0230120003"]).resolve(230120003, "230120003") == "0230120003"
