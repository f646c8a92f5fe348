"""Spreadsheets as interns actually fill them in, and exports that are safe to open.

The bottom layer of every roster import and export (no imports from ``ambassadors`` or
``voting``):

- **reading** (``read_sheet``): the format is detected from the content, never asked or
  taken from the name — XLSX (a zip), XLS (an OLE2 compound file) or CSV in UTF-8, UTF-8
  with BOM or GBK/GB18030 (what Chinese Excel writes). XLSX is parsed by openpyxl with
  defusedxml, so entity-expansion bombs are refused, and with a cap on the unzipped size.
  A formula whose result Excel did not save reads as a marker, not as an empty cell;
- **headers** (``Column``, ``map_columns``): English or Chinese, any order, stray spaces,
  full-width characters, "(元)"-style units and "*" required-markers are all accepted;
- **values** (``clean_*``): student ids keep their leading zeros, dates come as Excel
  dates or common strings, numbers refuse text; each cleaner raises ``CellError`` with a
  message for the row report;
- **stashing** (``stash_dumps``/``stash_loads``): a parsed sheet as JSON, so that the
  confirm step of an import (and a background job) need not parse the workbook again;
- **safe exports** (``escape_formula`` and the ``Safe*`` formats): no exported cell can
  start a formula, CSV goes out as UTF-8 with BOM so Chinese Excel opens it.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import tablib
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.formats import base_formats

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Characters that make Excel, LibreOffice or WPS read a cell as a formula (OWASP "CSV
# injection"). django-import-export's own escaping only knows "=" (#1543).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class SpreadsheetError(ValueError):
    """The file as a whole cannot be imported. The message is safe to show; ``line`` is
    the sheet row at fault when there is one (the header row for a missing column)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class CellError(ValueError):
    """One cell holds a value that does not fit its column. The message is safe to show."""


class FormulaWithoutValue:
    """A formula cell whose result Excel never saved (files written by scripts or some
    online editors). openpyxl reads it as empty, which would silently blank the field."""

    def __init__(self, formula: str = "") -> None:
        self.formula = formula

    def __repr__(self) -> str:
        return "<formula without a saved value>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FormulaWithoutValue)

    def __hash__(self) -> int:
        return hash(FormulaWithoutValue)


class ExcelError(str):
    """An error value of a cell, e.g. ``#N/A`` or ``#DIV/0!``."""


@dataclass
class Sheet:
    """The active sheet of a workbook: its header row and its non-empty data rows, each
    with the row number Excel shows (the header row is usually row 1)."""

    format: str  # "xlsx", "xls" or "csv"
    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    encoding: str | None = None
    header_line: int = 1

    def __len__(self) -> int:
        return len(self.rows)


# --- Reading ---------------------------------------------------------------------------


def _max_bytes() -> int:
    return getattr(settings, "SPREADSHEET_MAX_BYTES", 20 * 1024 * 1024)


def _max_rows() -> int:
    return getattr(settings, "SPREADSHEET_MAX_ROWS", 50_000)


def read_sheet(data: bytes, *, file_name: str = "") -> Sheet:
    """Parse an uploaded spreadsheet. Raises ``SpreadsheetError`` with a clear reason."""
    if not data:
        raise SpreadsheetError(_("The file is empty."))
    if len(data) > _max_bytes():
        raise SpreadsheetError(
            _("The file is larger than %(mb)d MB.") % {"mb": _max_bytes() // (1024 * 1024)}
        )
    name = file_name.lower()
    if data.startswith(XLSX_MAGIC):
        sheet = _read_xlsx(data)
    elif data.startswith(XLS_MAGIC):
        sheet = _read_xls(data)
    elif name.endswith((".xlsx", ".xlsm", ".xls")):
        # A renamed file (an image, a PDF, an HTML page "saved as .xls"): say so rather
        # than trying to read it as text.
        raise SpreadsheetError(
            _(
                "This file is named like an Excel workbook but is not one. Open it in "
                "Excel or WPS and save it as .xlsx, or export it as CSV."
            )
        )
    else:
        sheet = _read_csv(data)
    return sheet


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _collect(format_: str, lines: Iterable[tuple[int, Sequence[Any]]], encoding=None) -> Sheet:
    """Turn raw rows into a Sheet: the first non-empty row is the header, empty rows
    (Excel keeps formatted blank rows around) are dropped, and the row count is capped."""
    headers: list[str] | None = None
    header_line = 1
    rows: list[tuple[int, list[Any]]] = []
    limit = _max_rows()
    for line, values in lines:
        if all(_is_blank(v) for v in values):
            continue
        if headers is None:
            headers = [clean_header_text(v) for v in values]
            header_line = line
            continue
        if len(rows) >= limit:
            raise SpreadsheetError(
                _("The file has more than %(n)d rows; split it into smaller files.") % {"n": limit}
            )
        rows.append((line, list(values)))
    if headers is None:
        raise SpreadsheetError(_("The file is empty."))
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    rows = [(line, (values + [None] * width)[:width]) for line, values in rows]
    rows = [(line, values) for line, values in rows if not all(_is_blank(v) for v in values)]
    return Sheet(
        format=format_, headers=headers, rows=rows, encoding=encoding, header_line=header_line
    )


def _read_xlsx(data: bytes) -> Sheet:
    import openpyxl
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    if not openpyxl.DEFUSEDXML:  # pragma: no cover - a deployment mistake
        # Without defusedxml, openpyxl expands XML entities: a 1 kB sharedStrings.xml can
        # grow to gigabytes in memory (billion laughs).
        raise SpreadsheetError(_("XLSX import is disabled: defusedxml is not installed."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise SpreadsheetError(_("The file is damaged or not an Excel workbook.")) from exc
    # Zip bombs: what openpyxl would inflate, checked before it does.
    if sum(m.file_size for m in members) > 20 * _max_bytes():
        raise SpreadsheetError(_("The workbook unpacks to too much data to be a roster."))
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise SpreadsheetError(_("The file is a zip archive but not an Excel workbook."))

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                if cell["data_type"] == "str" and element.find(VALUE_TAG) is not None:
                    cell["value"] = ""  # a formula whose saved result is empty text
                else:  # openpyxl and scripts write "<f>A2*2</f><v/>": no result
                    cell["value"] = FormulaWithoutValue(element.findtext(FORMULA_TAG) or "")
            elif cell["data_type"] == "e":
                cell["value"] = ExcelError(cell["value"])
            return cell

    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except SpreadsheetError:
        raise
    except Exception as exc:
        raise _workbook_error(exc) from exc
    try:
        worksheet = workbook.active
        if worksheet is None or not hasattr(worksheet, "_get_source"):
            raise SpreadsheetError(_("The workbook has no worksheet to import."))

        def lines():
            # openpyxl's own row iterator, minus the cell objects and plus the markers
            # above; the same private parser openpyxl's read-only sheets use (pinned).
            with worksheet._get_source() as source:
                parser = Parser(
                    source,
                    worksheet._shared_strings,
                    data_only=True,
                    epoch=workbook.epoch,
                    date_formats=workbook._date_formats,
                    timedelta_formats=workbook._timedelta_formats,
                )
                for line, cells in parser.parse():
                    if not cells:
                        continue
                    width = max(c["column"] for c in cells)
                    values: list[Any] = [None] * width
                    for c in cells:
                        values[c["column"] - 1] = c["value"]
                    yield line, values

        return _collect("xlsx", lines())
    except SpreadsheetError:
        raise
    except Exception as exc:
        raise _workbook_error(exc) from exc
    finally:
        workbook.close()


def _workbook_error(exc: BaseException) -> SpreadsheetError:
    """openpyxl wraps parser errors ("could not read strings"); look for defusedxml's
    refusal (entity declarations, external references) down the chain."""
    from defusedxml import DefusedXmlException

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DefusedXmlException):
            return SpreadsheetError(
                _(
                    "The workbook contains XML entity declarations (a possible XML bomb) and "
                    "was refused."
                )
            )
        seen = seen.__cause__ or seen.__context__
    return SpreadsheetError(_("The file is damaged or not an Excel workbook."))


def _read_xls(data: bytes) -> Sheet:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
        sheet = book.sheet_by_index(0)
    except Exception as exc:
        raise SpreadsheetError(_("The file is damaged or not an Excel workbook.")) from exc

    def value(cell) -> Any:
        if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return None
        if cell.ctype == xlrd.XL_CELL_DATE:
            return xlrd.xldate_as_datetime(cell.value, book.datemode)
        if cell.ctype == xlrd.XL_CELL_NUMBER:
            return int(cell.value) if float(cell.value).is_integer() else cell.value
        if cell.ctype == xlrd.XL_CELL_BOOLEAN:
            return bool(cell.value)
        if cell.ctype == xlrd.XL_CELL_ERROR:
            return ExcelError(xlrd.error_text_from_code.get(cell.value, "#ERROR"))
        return cell.value

    try:
        return _collect(
            "xls", ((i + 1, [value(c) for c in sheet.row(i)]) for i in range(sheet.nrows))
        )
    finally:
        book.release_resources()


_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _read_csv(data: bytes) -> Sheet:
    # Try the encodings in order of strictness: UTF-8 (with or without BOM) rejects most
    # GBK byte sequences, so a file that decodes as UTF-8 is UTF-8. GB18030 is the
    # superset of GBK and GB2312 that Chinese Excel's "CSV" writes.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SpreadsheetError(
            _("The file is not an Excel workbook nor a CSV in UTF-8 or GBK; save it as .xlsx.")
        )
    if _BINARY_CONTROL.search(text[:65536]):
        raise SpreadsheetError(_("The file is not a spreadsheet (XLSX, XLS or CSV)."))
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)

    def lines():
        try:
            for values in reader:
                yield reader.line_num, values
        except csv.Error as exc:
            raise SpreadsheetError(
                _("The CSV is malformed near line %(line)d.") % {"line": reader.line_num}
            ) from exc

    if encoding == "utf-8-sig":
        encoding = "utf-8 (BOM)" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    return _collect("csv", lines(), encoding=encoding)


# --- Headers ---------------------------------------------------------------------------


def nfkc(text: str) -> str:
    """Full-width letters, digits and punctuation to ASCII; ideographic space to space."""
    return unicodedata.normalize("NFKC", text)


def clean_header_text(value: Any) -> str:
    if value is None or isinstance(value, FormulaWithoutValue):
        return ""
    return " ".join(nfkc(str(value)).split())


_HEADER_NOISE = re.compile(r"\(.*?\)|\[.*?\]|[*:_\-\s./]")


@functools.lru_cache(maxsize=8192)
def header_key(text: str) -> str:
    """How a header is compared: "学号 *", "学号（必填）", "Student_ID" and "student id"
    all become one key."""
    return _HEADER_NOISE.sub("", clean_header_text(text).casefold())


@dataclass(frozen=True)
class Column:
    """One importable column: the field it fills, its canonical header (also the export
    header, so an export imports back), and the other headers people write."""

    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def keys(self) -> set[str]:
        return {header_key(h) for h in (self.header, self.field, *self.aliases)}


# The headers interns write, English and Chinese; each resource picks its columns.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "name", "full name"),
    "student_id": ("学号", "学生证号", "学籍号", "student id", "student no", "student number"),
    "phone": ("手机号", "手机", "电话", "手机号码", "联系电话", "联系方式", "mobile", "phone"),
    "school": ("学校", "学校名称", "院校", "school"),
    "role": ("角色", "职务", "岗位", "role"),
    "hourly_rate": ("时薪", "小时工资", "每小时", "hourly rate", "rate"),
    "stipend": ("补贴", "固定补贴", "津贴", "stipend", "fixed stipend"),
    "email": ("邮箱", "电子邮箱", "邮件", "email", "e-mail"),
    "active": ("在职", "是否在职", "active"),
    "date": ("日期", "date", "day"),
    "hours": ("小时", "工时", "时长", "小时数", "hours"),
    "task": ("任务", "工作内容", "工作", "task", "work"),
    "amount": ("金额", "费用", "花费", "amount", "cost"),
    "category": ("类别", "类型", "分类", "费用类别", "category"),
    "note": ("备注", "说明", "note", "notes", "remark", "remarks"),
    "caption": ("标题", "配文", "简介", "caption", "title"),
    "photo": ("照片", "图片", "照片文件", "photo", "picture", "image"),
    "pilot": ("试点", "项目", "试点项目", "pilot"),
    "campaign": ("活动", "活动标识", "campaign"),
    "round": ("轮次", "场次", "round"),
}


def column(field_name: str, *, required: bool = False) -> Column:
    """The shared column of ``field_name``; its first alias is the canonical header."""
    aliases = ALIASES[field_name]
    return Column(field_name, aliases[0], aliases[1:], required)


def map_columns(headers: Sequence[str], columns: Sequence[Column]) -> dict[str, int]:
    """Which header position holds each known column. Unknown headers are ignored (extra
    columns are fine); a missing required column or a column given twice is an error."""
    by_key = {key: col for col in columns for key in col.keys}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        col = by_key.get(header_key(header))
        if col is None:
            continue
        if col.field in found:
            raise SpreadsheetError(
                _('the columns "%(a)s" and "%(b)s" both mean %(what)s; keep one')
                % {"a": headers[found[col.field]], "b": header, "what": col.header}
            )
        found[col.field] = index
    missing = [col.header for col in columns if col.required and col.field not in found]
    if missing:
        raise SpreadsheetError(
            _("missing required column(s): %(columns)s") % {"columns": ", ".join(missing)}
        )
    return found


# --- Values ----------------------------------------------------------------------------


def _check_special(value: Any) -> None:
    if isinstance(value, FormulaWithoutValue):
        raise CellError(
            _(
                "a formula without a saved result; open the file in Excel, "
                "let it calculate and save it again"
            )
        )
    if isinstance(value, ExcelError):
        raise CellError(_("the cell holds the Excel error %(error)s") % {"error": value})


def unescape_formula(text: str) -> str:
    """Undo our own export escaping ("'=..."), so an exported file imports back."""
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


def clean_text(value: Any, *, max_length: int | None = None) -> str:
    """Any cell as trimmed text; integral numbers without ".0"."""
    _check_special(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "1" if value else "0"
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, dt.datetime):
        value = value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    text = unescape_formula(" ".join(nfkc(str(value)).split()))
    if max_length is not None and len(text) > max_length:
        raise CellError(_("longer than %(n)d characters") % {"n": max_length})
    return text


_STUDENT_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-]*")
_FLOAT_ID = re.compile(r"(\d+)\.0+")


def clean_student_id(value: Any) -> str:
    """Student ids are text: Excel hands "007" over as 7 only when the column was
    formatted as a number, which cannot be undone; "7.0" (a float in a CSV) becomes "7"."""
    _check_special(value)
    if isinstance(value, bool):
        raise CellError(_("not a student id"))
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(_("not a student id"))
        value = int(value)
    text = "".join(nfkc(str(value if value is not None else "")).split())
    # "'0123" is how people force Excel to keep the zeros; in a CSV the apostrophe stays.
    text = text.lstrip("'")
    match = _FLOAT_ID.fullmatch(text)
    if match:
        text = match.group(1)
    if not text:
        raise CellError(_("required"))
    if len(text) > 32 or not _STUDENT_ID.fullmatch(text):
        raise CellError(_('"%(value)s" is not a student id') % {"value": text[:40]})
    return text


_NUMBER_NOISE = re.compile(r"[\s,¥$]|元|rmb|cny|小时|h$", re.IGNORECASE)


def clean_decimal(
    value: Any,
    *,
    places: int = 2,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    above: Decimal | None = None,
    required: bool = True,
    default: Decimal | None = None,
) -> Decimal | None:
    """A number, from a numeric cell or text like "¥1,200.50" or "3.5小时"."""
    _check_special(value)
    if _is_blank(value):
        if required:
            raise CellError(_("required"))
        return default
    if isinstance(value, bool | dt.date):
        raise CellError(_("not a number"))
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = _NUMBER_NOISE.sub("", unescape_formula(nfkc(str(value)).strip()))
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(_('"%(value)s" is not a number') % {"value": str(value)[:40]}) from None
    if not number.is_finite():
        raise CellError(_("not a number"))
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum)
    if rounded != number:
        raise CellError(
            _("at most %(places)d decimal places, not %(value)s")
            % {"places": places, "value": number}
        )
    if minimum is not None and rounded < minimum:
        raise CellError(
            _("must be at least %(min)s, not %(value)s") % {"min": minimum, "value": rounded}
        )
    if above is not None and rounded <= above:
        raise CellError(
            _("must be more than %(min)s, not %(value)s") % {"min": above, "value": rounded}
        )
    if maximum is not None and rounded > maximum:
        raise CellError(
            _("must be at most %(max)s, not %(value)s") % {"max": maximum, "value": rounded}
        )
    return rounded


_DATE_PATTERNS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


def clean_date(value: Any) -> dt.date:
    """A date from an Excel date cell or "2026/9/1", "2026-09-01", "2026.9.1",
    "2026年9月1日", "20260901". Day-first or month-first forms are refused: ambiguous."""
    _check_special(value)
    if _is_blank(value):
        raise CellError(_("required"))
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = " ".join(nfkc(str(value)).split()) if not isinstance(value, int | float) else ""
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise CellError(_('"%(value)s" is not a date such as 2026-09-01') % {"value": str(value)[:40]})


_TRUE = {"1", "y", "yes", "true", "是", "对", "在职", "启用", "✓", "√"}
_FALSE = {"0", "n", "no", "false", "否", "不", "离职", "停用", "✗", "×"}


def clean_bool(value: Any, *, default: bool) -> bool:
    _check_special(value)
    if _is_blank(value):
        return default
    if isinstance(value, bool):
        return value
    text = clean_text(value).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(_('"%(value)s" is neither yes (是) nor no (否)') % {"value": text[:40]})


def clean_choice(value: Any, options: dict[str, str], *, default: str | None = None) -> str:
    """One of ``options`` (written form → stored value); matched like headers."""
    _check_special(value)
    if _is_blank(value):
        if default is None:
            raise CellError(_("required"))
        return default
    key = header_key(clean_text(value))
    for written, stored in options.items():
        if header_key(written) == key:
            return stored
    shown = sorted({w for w in options if not w.isascii()}) or sorted(options)
    raise CellError(
        _('"%(value)s" is not one of: %(options)s')
        % {"value": clean_text(value)[:40], "options": ", ".join(shown)}
    )


# --- Stashing a parsed sheet (preview → confirm, background jobs) -----------------------

_STASH_MARK = b"campus-sheet-v1\n"


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str) and not isinstance(value, ExcelError):
        return value
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"t": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"f": repr(value.total_seconds() / 86400)}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if isinstance(value, FormulaWithoutValue):
        return {"fx": value.formula}
    if isinstance(value, ExcelError):
        return {"e": str(value)}
    return str(value)


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    ((tag, raw),) = value.items()
    return {
        "f": float,
        "dt": dt.datetime.fromisoformat,
        "d": dt.date.fromisoformat,
        "t": dt.time.fromisoformat,
        "n": Decimal,
        "fx": FormulaWithoutValue,
        "e": ExcelError,
    }[tag](raw)


def stash_dumps(sheet: Sheet) -> bytes:
    payload = {
        "format": sheet.format,
        "encoding": sheet.encoding,
        "header_line": sheet.header_line,
        "headers": sheet.headers,
        "lines": [line for line, _values in sheet.rows],
        "rows": [[_encode(v) for v in values] for _line, values in sheet.rows],
    }
    return _STASH_MARK + json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def is_stash(data: bytes) -> bool:
    return data.startswith(_STASH_MARK)


def stash_loads(data: bytes) -> Sheet:
    payload = json.loads(data[len(_STASH_MARK) :])
    return Sheet(
        format=payload["format"],
        encoding=payload["encoding"],
        header_line=payload["header_line"],
        headers=payload["headers"],
        rows=[
            (line, [_decode(v) for v in values])
            for line, values in zip(payload["lines"], payload["rows"], strict=True)
        ],
    )


def sheet_from_upload(data: bytes, *, file_name: str = "") -> Sheet:
    """A stashed sheet, or a workbook/CSV to parse."""
    return stash_loads(data) if is_stash(data) else read_sheet(data, file_name=file_name)


def sheet_to_dataset(sheet: Sheet) -> tablib.Dataset:
    """A tablib Dataset of the raw sheet, carrying the sheet (and so its row numbers)."""
    dataset = tablib.Dataset(headers=list(sheet.headers))
    dataset._data = [tablib.core.Row(values) for _line, values in sheet.rows]
    dataset.sheet = sheet
    return dataset


# --- Safe exports ----------------------------------------------------------------------


def escape_formula(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe, which
    Excel shows as text and hides. Numbers and dates stay typed (a number cell is never a
    formula); ``unescape_formula`` undoes this on import. Aware datetimes become local
    (Asia/Shanghai) wall-clock times: spreadsheets have no time zones."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def escape_dataset(dataset: tablib.Dataset) -> tablib.Dataset:
    safe = tablib.Dataset(headers=[escape_formula(h) for h in dataset.headers or []])
    if dataset.title:
        safe.title = dataset.title
    for row in dataset:
        safe.append([escape_formula(v) for v in row])
    return safe


class SafeExportMixin:
    """Every export format escapes formulas (all triggers, not just "=")."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(escape_dataset(dataset), **kwargs)


class SafeCSV(SafeExportMixin, base_formats.CSV):
    def get_title(self):
        return "csv"

    def export_data(self, dataset, **kwargs):
        # UTF-8 with a BOM: without it, Chinese Excel reads UTF-8 as GBK (#1515).
        return "\ufeff" + super().export_data(dataset, **kwargs)


class SafeXLSX(SafeExportMixin, base_formats.XLSX):
    pass


class SafeXLS(SafeExportMixin, base_formats.XLS):
    pass


EXPORT_FORMATS = [SafeXLSX, SafeCSV, SafeXLS]


class SpreadsheetFormat(base_formats.Format):
    """The one import "format" of the admin: XLSX, XLS or CSV, detected from the content.

    ``create_dataset`` accepts a raw upload or a stash (see ``stash_dumps``)."""

    def __init__(self, encoding: str | None = None) -> None:
        self.encoding = encoding  # the content decides; kept for the library's calls

    def get_title(self):
        return gettext_lazy("Spreadsheet (XLSX, XLS or CSV; detected automatically)")

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, str):  # pragma: no cover - binary read mode everywhere
            in_stream = in_stream.encode("utf-8")
        return sheet_to_dataset(sheet_from_upload(in_stream))

    def get_extension(self):
        return "xlsx"

    def can_import(self):
        return True

    def can_export(self):
        return False


@dataclass
class Problem:
    """One line of a bad-row report: the sheet row (None for the file as a whole)."""

    line: int | None
    message: str
    values: list[Any] = field(default_factory=list)

    def __str__(self) -> str:
        where = _("row %(n)s") % {"n": self.line} if self.line is not None else _("file")
        return f"{where}: {self.message}"


def display_value(value: Any) -> Any:
    """A cell as the report shows it: typed values stay, markers become words."""
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date | dt.time):
        return value
    if isinstance(value, FormulaWithoutValue):
        return _("(formula without a saved result)")
    return str(value)


def problems_workbook(problems: Sequence[Problem], headers: Sequence[str] = ()) -> bytes:
    """The bad-row report as XLSX: row number, reason, and the row as uploaded (escaped
    like every export: the uploaded cells may be the formula-injection attempt)."""
    dataset = tablib.Dataset(headers=[_("row"), _("reason"), *headers])
    width = len(headers)
    for problem in problems:
        values = [display_value(v) for v in (list(problem.values) + [None] * width)[:width]]
        line = problem.line if problem.line is not None else _("file")
        dataset.append([line, problem.message, *values])
    return SafeXLSX().export_data(dataset)
