"""A typed XLSX writer for reports (openpyxl): numbers stay numbers with ¥ and % number
formats, times are local datetimes, booleans read 是/否, text can never start a formula
(core/spreadsheets/exports.py), and every column is wide enough for what it holds.

tablib (the roster exports') writes every cell with the default format and no widths, so
the report's workbook is written with openpyxl, which tablib itself uses underneath."""

import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from core.spreadsheets.exports import escape_formula
from reports.exports.formats import yes_no

MONEY_FORMAT = '"¥"#,##0.00'
PERCENT_FORMAT = "0.0%"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
RATIO_FORMAT = "0.00"
# Sheet names: at most 31 characters, none of these (Excel refuses the file otherwise).
_SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
MAX_WIDTH = 60
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class Money:
    value: Decimal | None


@dataclass(frozen=True)
class Percent:
    value: float | None


@dataclass(frozen=True)
class Ratio:
    """A number with two decimals (per 1,000 students)."""

    value: float | None


def _display_width(text: str) -> int:
    # A CJK character takes two columns of a monospace grid, as in Excel.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class Sheet:
    """One worksheet written row by row."""

    def __init__(self, workbook: Workbook, title: str, *, first: bool = False) -> None:
        self.ws = workbook.active if first else workbook.create_sheet()
        self.ws.title = title.translate(_SHEET_FORBIDDEN)[:31]
        self.widths: dict[int, int] = {}
        self.next_row = 1

    def _put(self, row: int, column: int, value: Any) -> None:
        cell = self.ws.cell(row=row, column=column)
        shown: str
        if isinstance(value, Money | Percent | Ratio):
            if value.value is None:
                cell.value, shown = "—", "—"
            else:
                cell.value = value.value
                if isinstance(value, Money):
                    cell.number_format = MONEY_FORMAT
                    shown = f"¥{value.value:,.2f}"
                elif isinstance(value, Percent):
                    cell.number_format = PERCENT_FORMAT
                    shown = f"{value.value:.1%}"
                else:
                    cell.number_format = RATIO_FORMAT
                    shown = f"{value.value:.2f}"
        elif isinstance(value, bool):
            cell.value = shown = yes_no(value)
        elif isinstance(value, datetime):
            # Aware times become Asia/Shanghai wall-clock times (escape_formula does it).
            cell.value = escape_formula(value)
            cell.number_format, shown = DATETIME_FORMAT, "2026-01-01 00:00"
        elif isinstance(value, date):
            cell.value, cell.number_format, shown = value, DATE_FORMAT, "2026-01-01"
        elif isinstance(value, int | float | Decimal):
            cell.value, shown = value, str(value)
        elif value is None:
            cell.value, shown = "—", "—"
        else:
            cell.value = escape_formula(str(value))
            shown = str(value)
        self.widths[column] = max(self.widths.get(column, 0), _display_width(shown))

    def row(self, *values: Any, bold: bool = False) -> int:
        number = self.next_row
        self.next_row += 1
        for column, value in enumerate(values, start=1):
            self._put(number, column, value)
            if bold:
                self.ws.cell(row=number, column=column).font = Font(bold=True)
        return number

    def title(self, text: str) -> None:
        before = self.widths.get(1, 0)
        number = self.row(text)
        self.ws.cell(row=number, column=1).font = Font(bold=True, size=14)
        # A long title does not widen its column: it overflows into the empty ones.
        self.widths[1] = max(before, min(self.widths[1], 24))

    def note(self, text: str) -> None:
        """A sentence across the sheet (a reason, a warning): wraps, does not widen."""
        before = self.widths.get(1, 0)
        self.row(text)
        self.widths[1] = max(before, min(self.widths[1], 24))

    def header(self, *labels: str) -> None:
        number = self.row(*labels, bold=True)
        for column in range(1, len(labels) + 1):
            self.ws.cell(row=number, column=column).fill = HEADER_FILL
        self.ws.freeze_panes = self.ws.cell(row=number + 1, column=1)

    def blank(self) -> None:
        self.next_row += 1

    def finish(self) -> None:
        for column, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(column)].width = min(
                max(width + 2, 8), MAX_WIDTH
            )


class Book:
    def __init__(self) -> None:
        self.workbook = Workbook()
        self.sheets: list[Sheet] = []

    def sheet(self, title: str) -> Sheet:
        sheet = Sheet(self.workbook, title, first=not self.sheets)
        self.sheets.append(sheet)
        return sheet

    def save(self) -> bytes:
        for sheet in self.sheets:
            sheet.finish()
        out = io.BytesIO()
        self.workbook.save(out)
        return out.getvalue()
