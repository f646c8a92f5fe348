"""Spreadsheets as interns actually fill them in, and exports that are safe to open.

The bottom layer of every roster import and export (no imports from ``ambassadors`` or
``voting``):

- **reading** (``read_sheet``): the format is detected from the content, never asked or
  taken from the name — XLSX (a zip), XLS (an OLE2 compound file) or CSV in UTF-8, UTF-8
  with BOM or GBK/GB18030 (what Chinese Excel writes). XLSX is parsed by openpyxl with
  defusedxml, so entity-expansion bombs are refused, and with a cap on the unzipped size.
  A formula whose result Excel did not save reads as a marker, not as an empty cell.
  One rule for every format: the sheet read is the one whose header (among its first
  rows, under any title rows) holds the required columns, the active sheet first; merged
  ranges are filled (``layout``);
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
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from core.spreadsheets.headers import Column, header_key
from core.spreadsheets.layout import (
    HEADER_SEARCH_ROWS,
    RawSheet,
    best_header_line,
    fill_merges,
    find_header,
    non_empty,
    sheet_from_lines,
)
from core.spreadsheets.sheet import ExcelError, FormulaWithoutValue, Sheet, SpreadsheetError

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# --- Reading ---------------------------------------------------------------------------


def _max_bytes() -> int:
    return getattr(settings, "SPREADSHEET_MAX_BYTES", 20 * 1024 * 1024)


def _max_rows() -> int:
    return getattr(settings, "SPREADSHEET_MAX_ROWS", 50_000)


# A worksheet to consider: its name and how to read it (lines and merges).
Candidate = tuple[str | None, Callable[[], RawSheet]]


def read_sheet(
    data: bytes, *, file_name: str = "", columns: Sequence[Column] | None = None
) -> Sheet:
    """Parse an uploaded spreadsheet. Raises ``SpreadsheetError`` with a clear reason.

    With ``columns``, the sheet read is the first — the active sheet, then the others in
    order — whose header row (one of its first rows) holds every required column; rows
    above the header are title rows. Without, the active sheet and its first row."""
    if not data:
        raise SpreadsheetError(_("The file is empty."))
    if len(data) > _max_bytes():
        raise SpreadsheetError(
            _("The file is larger than %(mb)d MB.") % {"mb": _max_bytes() // (1024 * 1024)}
        )
    name = file_name.lower()
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, columns)
    if data.startswith(XLS_MAGIC):
        return _read_xls(data, columns)
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        # A renamed file (an image, a PDF, an HTML page "saved as .xls"): say so rather
        # than trying to read it as text.
        raise SpreadsheetError(
            _(
                "This file is named like an Excel workbook but is not one. Open it in "
                "Excel or WPS and save it as .xlsx, or export it as CSV."
            )
        )
    return _read_csv(data, columns)


def _pick(
    format_: str,
    candidates: Iterable[Candidate],
    columns: Sequence[Column] | None,
    encoding: str | None = None,
) -> Sheet:
    """The first candidate sheet whose header holds the required columns."""
    tried: list[RawSheet] = []
    for _name, load in candidates:
        raw = load()
        index = find_header(raw.lines, columns)
        if index is not None:
            return sheet_from_lines(format_, raw, index, encoding=encoding, max_rows=_max_rows())
        tried.append(raw)
        if not columns:
            break
    filled = [raw for raw in tried if raw.lines]
    if not filled or not columns:
        raise SpreadsheetError(_("The file is empty."))
    required = [col.header for col in columns if col.required]
    if len(filled) > 1:
        raise SpreadsheetError(
            _(
                "No sheet has the required columns %(columns)s in its first %(n)d rows "
                "(sheets read: %(sheets)s)."
            )
            % {
                "columns": ", ".join(required),
                "n": HEADER_SEARCH_ROWS,
                "sheets": ", ".join(f'"{raw.name}"' for raw in filled),
            }
        )
    raw = filled[0]
    line, values = best_header_line(raw.lines, columns) or (None, [])
    keys = {header_key(str(v)) for v in values if v is not None}
    missing = [col.header for col in columns if col.required and not col.keys & keys]
    message = _("missing required column(s): %(columns)s") % {"columns": ", ".join(missing)}
    raise SpreadsheetError(in_sheet(raw.name, message), line=line)


def in_sheet(sheet: str | None, message: str) -> str:
    """``message`` naming the worksheet it is about (CSV files have none)."""
    if not sheet:
        return message
    return _('%(message)s (sheet "%(sheet)s")') % {"sheet": sheet, "message": message}


def _ordered(names: Sequence[tuple[int, str | None, bool]], active: int) -> list[int]:
    """Sheet indexes to try: the active one, then the other visible ones in order."""
    visible = [index for index, _name, shown in names if shown]
    if active in visible:
        visible.remove(active)
        visible.insert(0, active)
    return visible


def _read_xlsx(data: bytes, columns: Sequence[Column] | None) -> Sheet:
    import openpyxl
    from openpyxl.utils.cell import range_boundaries
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
        sheets = [ws for ws in workbook.worksheets if hasattr(ws, "_get_source")]
        if not sheets:
            raise SpreadsheetError(_("The workbook has no worksheet to import."))
        active = workbook.active
        active_index = sheets.index(active) if active in sheets else 0

        def load(worksheet) -> RawSheet:
            # openpyxl's own row iterator, minus the cell objects and plus the markers
            # above; the same private parser openpyxl's read-only sheets use (pinned).
            # Merged ranges come after the rows in the XML: known once all are read.
            with worksheet._get_source() as source:
                parser = Parser(
                    source,
                    worksheet._shared_strings,
                    data_only=True,
                    epoch=workbook.epoch,
                    date_formats=workbook._date_formats,
                    timedelta_formats=workbook._timedelta_formats,
                )

                def lines() -> Iterator[tuple[int, list[Any]]]:
                    for line, cells in parser.parse():
                        if not cells:
                            continue
                        width = max(c["column"] for c in cells)
                        values: list[Any] = [None] * width
                        for c in cells:
                            values[c["column"] - 1] = c["value"]
                        yield line, values

                kept = non_empty(lines(), _max_rows())
                merges = []
                for merged in getattr(parser.merged_cells, "mergeCell", None) or []:
                    left, top, right, bottom = range_boundaries(merged.ref)
                    merges.append((top, left, bottom, right))
            return RawSheet(worksheet.title, fill_merges(kept, merges), merges)

        shown = [(i, ws.title, ws.sheet_state == "visible") for i, ws in enumerate(sheets)]
        order = (_ordered(shown, active_index) if columns else None) or [active_index]
        return _pick(
            "xlsx",
            ((sheets[i].title, lambda ws=sheets[i]: load(ws)) for i in order),
            columns,
        )
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


def _read_xls(data: bytes, columns: Sequence[Column] | None) -> Sheet:
    import xlrd

    try:
        # formatting_info: the merged ranges are only read with it.
        book = xlrd.open_workbook(file_contents=data, on_demand=True, formatting_info=True)
        count = book.nsheets
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

    def load(sheet) -> RawSheet:
        kept = non_empty(
            ((i + 1, [value(c) for c in sheet.row(i)]) for i in range(sheet.nrows)),
            _max_rows(),
        )
        merges = [(rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in sheet.merged_cells]
        return RawSheet(sheet.name, fill_merges(kept, merges), merges)

    try:
        try:
            sheets = [book.sheet_by_index(i) for i in range(count)]
        except Exception as exc:
            raise SpreadsheetError(_("The file is damaged or not an Excel workbook.")) from exc
        if not sheets:
            raise SpreadsheetError(_("The workbook has no worksheet to import."))
        # "sheet_visible" is xlrd's name for the sheet shown when the file was saved.
        active = next((i for i, s in enumerate(sheets) if s.sheet_visible), 0)
        shown = [(i, s.name, s.visibility == 0) for i, s in enumerate(sheets)]
        order = (_ordered(shown, active) if columns else None) or [active]
        return _pick("xls", ((sheets[i].name, lambda s=sheets[i]: load(s)) for i in order), columns)
    finally:
        book.release_resources()


_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _read_csv(data: bytes, columns: Sequence[Column] | None) -> Sheet:
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
    return _pick(
        "csv", [(None, lambda: RawSheet(None, non_empty(lines(), _max_rows())))], columns, encoding
    )
