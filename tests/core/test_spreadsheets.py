"""Reading spreadsheets as interns fill them in (campaigns.spreadsheets): formats detected
from the content, encodings, headers in any language and order, values, hostile files."""

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation

from core.spreadsheets import cleaners, exports, reading, stash
from core.spreadsheets.headers import column, map_columns
from core.spreadsheets.sheet import (
    CellError,
    ExcelError,
    FormulaWithoutValue,
    Sheet,
    SpreadsheetError,
)
from tests.spreadsheet_files import (
    csv_bytes,
    png_bytes,
    xls,
    xlsx,
    xlsx_billion_laughs,
    xlsx_with_cached_formula,
)


@pytest.fixture(autouse=True)
def english():
    """These tests match the English messages; admin pages show them translated (below)."""
    with translation.override("en"):
        yield


def test_messages_are_translated():
    with translation.override("zh-hans"), pytest.raises(SpreadsheetError) as caught:
        reading.read_sheet(b"", file_name="roster.xlsx")
    assert str(caught.value) == "文件为空。"


ROWS = [["姓名", "学号", "日期"], ["张三", "007", "2026/9/1"], ["李四", "0123", "2026年9月2日"]]


@pytest.mark.parametrize(
    "data, fmt, encoding",
    [
        (xlsx(ROWS), "xlsx", None),
        (xls(ROWS), "xls", None),
        (csv_bytes(ROWS, "utf-8"), "csv", "utf-8"),
        (csv_bytes(ROWS, "utf-8-sig"), "csv", "utf-8 (BOM)"),
        (csv_bytes(ROWS, "gbk"), "csv", "gb18030"),
        (csv_bytes(ROWS, "gb18030"), "csv", "gb18030"),
        (csv_bytes(ROWS, "utf-8", delimiter="\t"), "csv", "utf-8"),
        (csv_bytes(ROWS, "utf-8", delimiter=";"), "csv", "utf-8"),
    ],
    ids=["xlsx", "xls", "utf8", "utf8-bom", "gbk", "gb18030", "tsv", "semicolon"],
)
def test_every_format_and_encoding_reads_the_same(data, fmt, encoding):
    # The name says nothing: detection is by content.
    sheet = reading.read_sheet(data, file_name="upload.bin")
    assert sheet.format == fmt
    assert sheet.encoding == encoding
    assert sheet.headers == ["姓名", "学号", "日期"]  # no "\ufeff姓名" (#965)
    assert [line for line, _values in sheet.rows] == [2, 3]
    assert [cleaners.clean_student_id(v[1]) for _line, v in sheet.rows] == ["007", "0123"]


def test_gbk_csv_is_not_mistaken_for_utf8():
    sheet = reading.read_sheet(csv_bytes([["姓名"], ["王小明"]], "gbk"))
    assert sheet.rows[0][1] == ["王小明"]


def test_undecodable_text_is_a_clear_error():
    with pytest.raises(SpreadsheetError, match="UTF-8 or GBK"):
        reading.read_sheet(b"\xff\xfe\xfd" * 10)


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "roster.xlsx", "empty"),
        (png_bytes(), "roster.xlsx", "not one"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00", "roster.csv", "not a spreadsheet"),
        (b"PK\x03\x04garbage", "roster.xlsx", "damaged"),
        (b"\n\n  \n", "roster.csv", "empty"),
    ],
    ids=["empty", "png-renamed-xlsx", "binary-as-csv", "broken-zip", "blank-lines"],
)
def test_files_that_are_not_spreadsheets_are_refused(data, name, message):
    with pytest.raises(SpreadsheetError, match=message):
        reading.read_sheet(data, file_name=name)


def test_a_zip_that_is_not_a_workbook_is_refused():
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(SpreadsheetError, match="not an Excel workbook"):
        reading.read_sheet(out.getvalue(), file_name="roster.xlsx")


def test_xml_bomb_in_shared_strings_is_refused():
    assert openpyxl.DEFUSEDXML is True  # defusedxml installed and in use
    with pytest.raises(SpreadsheetError, match="XML bomb"):
        reading.read_sheet(xlsx_billion_laughs(), file_name="roster.xlsx")


def test_formula_without_a_saved_value_is_marked_not_blank():
    sheet = reading.read_sheet(xlsx([["小时"], ["=1+2"]]))
    (value,) = sheet.rows[0][1]
    assert isinstance(value, FormulaWithoutValue)
    with pytest.raises(CellError, match="formula"):
        cleaners.clean_decimal(value)


def test_formula_with_a_saved_value_reads_the_value():
    data = xlsx_with_cached_formula([["小时", "x"], [1, "y"]], "B2", "A2*2", "2")
    sheet = reading.read_sheet(data)
    assert sheet.rows[0][1] == [1, 2]


def test_excel_error_cells_are_row_errors():
    with pytest.raises(CellError, match="#N/A"):
        cleaners.clean_text(ExcelError("#N/A"))


def test_blank_rows_and_columns_are_ignored_and_rows_keep_their_numbers():
    sheet = reading.read_sheet(
        xlsx([[None], ["姓名", "学号", None], [None, None], ["张三", 7, None]])
    )
    assert sheet.header_line == 2
    assert sheet.headers == ["姓名", "学号"]
    assert sheet.rows == [(4, ["张三", 7])]


def test_row_cap(settings):
    settings.SPREADSHEET_MAX_ROWS = 3
    with pytest.raises(SpreadsheetError, match="more than 3 rows"):
        reading.read_sheet(csv_bytes([["姓名"]] + [[f"x{i}"] for i in range(4)]))


def test_size_cap(settings):
    settings.SPREADSHEET_MAX_BYTES = 100
    with pytest.raises(SpreadsheetError, match="larger than"):
        reading.read_sheet(csv_bytes([["姓名"]] + [["x" * 50]] * 3))


# --- headers ---------------------------------------------------------------------------

COLUMNS = [
    column("name", required=True),
    column("student_id", required=True),
    column("phone"),
]


@pytest.mark.parametrize(
    "headers",
    [
        ["姓名", "学号", "手机号"],
        ["学号", "手机", "姓名"],  # any order, other words
        [" 姓 名 ", "学号*", "电话（必填）"],  # stray spaces, markers, full-width brackets
        ["Name", "Student ID", "Phone"],
        ["NAME", "student_id", "mobile"],
        ["ｎａｍｅ", "ｓｔｕｄｅｎｔ ｉｄ", "ｐｈｏｎｅ"],  # full-width letters
    ],
)
def test_headers_in_any_language_order_and_spacing(headers):
    mapping = map_columns(headers, COLUMNS)
    assert {headers[i]: field for field, i in mapping.items()}.keys() == set(headers)


def test_extra_columns_are_ignored():
    assert map_columns(["姓名", "学号", "年级", "宿舍"], COLUMNS) == {
        "name": 0,
        "student_id": 1,
    }


def test_missing_required_column_names_it():
    with pytest.raises(SpreadsheetError, match="学号"):
        map_columns(["姓名", "手机号"], COLUMNS)


def test_a_column_given_twice_is_an_error():
    with pytest.raises(SpreadsheetError, match="both mean"):
        map_columns(["姓名", "学号", "手机", "电话"], COLUMNS)


# --- values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("007", "007"),
        (7, "7"),
        (7.0, "7"),
        ("2024001.0", "2024001"),
        (" 0012 3 ", "00123"),
        ("０１２３", "0123"),  # full-width digits
        ("'0123", "0123"),
        ("B2024-01", "B2024-01"),
    ],
)
def test_student_ids(raw, expected):
    assert cleaners.clean_student_id(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "7.5", 7.5, "张三", "=1+1", True])
def test_bad_student_ids(raw):
    with pytest.raises(CellError):
        cleaners.clean_student_id(raw)


@pytest.mark.parametrize(
    "raw",
    [
        dt.datetime(2026, 9, 1),
        dt.date(2026, 9, 1),
        "2026/9/1",
        "2026-09-01",
        "2026.9.1",
        "2026年9月1日",
        "2026年9月1号",
        "20260901",
        "２０２６－０９－０１",
        "2026-09-01 00:00:00",
    ],
)
def test_dates(raw):
    assert cleaners.clean_date(raw) == dt.date(2026, 9, 1)


@pytest.mark.parametrize("raw", ["9/1/2026", "1/9/2026", "明天", "2026-13-01", 46000, None])
def test_bad_dates(raw):
    with pytest.raises(CellError):
        cleaners.clean_date(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (25, "25"),
        (25.5, "25.5"),
        ("¥1,200.50", "1200.50"),
        ("３.５", "3.5"),
        ("3.5小时", "3.5"),
        ("100元", "100"),
        (Decimal("2.25"), "2.25"),
    ],
)
def test_decimals(raw, expected):
    assert cleaners.clean_decimal(raw) == Decimal(expected)


@pytest.mark.parametrize(
    "raw, kwargs, message",
    [
        ("三小时", {}, "not a number"),
        ("abc", {}, "not a number"),
        (-2, {"minimum": Decimal(0)}, "at least"),
        (0, {"above": Decimal(0)}, "more than"),
        (25, {"maximum": Decimal(24)}, "at most"),
        ("1.234", {}, "decimal places"),
        (None, {}, "required"),
        (True, {}, "not a number"),
        ("NaN", {}, "not a number"),
    ],
)
def test_bad_decimals(raw, kwargs, message):
    with pytest.raises(CellError, match=message):
        cleaners.clean_decimal(raw, **kwargs)


def test_choices_and_booleans():
    options = {"组长": "lead", "lead": "lead", "实习生": "intern"}
    assert cleaners.clean_choice(" 组 长 ", options) == "lead"
    assert cleaners.clean_choice("LEAD", options) == "lead"
    assert cleaners.clean_choice(None, options, default="intern") == "intern"
    with pytest.raises(CellError, match="not one of"):
        cleaners.clean_choice("老板", options)
    assert cleaners.clean_bool("是", default=True) is True
    assert cleaners.clean_bool("否", default=True) is False
    assert cleaners.clean_bool(None, default=True) is True
    with pytest.raises(CellError):
        cleaners.clean_bool("也许", default=True)


# --- stash and safe export -------------------------------------------------------------


def test_stash_round_trips_every_value_type():
    sheet = Sheet(
        "xlsx",
        ["a"],
        [
            (
                2,
                [
                    None,
                    "x",
                    1,
                    2.5,
                    True,
                    dt.datetime(2026, 9, 1, 8),
                    dt.date(2026, 9, 1),
                    FormulaWithoutValue("A1"),
                    ExcelError("#N/A"),
                    Decimal("1.10"),
                ],
            )
        ],
    )
    loaded = stash.stash_loads(stash.stash_dumps(sheet))
    assert loaded.rows == sheet.rows
    assert isinstance(loaded.rows[0][1][8], ExcelError)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_triggers_are_escaped_and_unescaped(text):
    escaped = exports.escape_formula(text)
    assert escaped == "'" + text
    assert cleaners.unescape_formula(escaped) == text


def test_numbers_and_plain_text_are_not_escaped():
    assert exports.escape_formula(-5) == -5
    assert exports.escape_formula("张三") == "张三"
    assert exports.escape_formula("a=b") == "a=b"
