"""What every part of the spreadsheet reader shares: a parsed sheet, the markers of cells
that hold no plain value, and the two errors the reader raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


# Why a row of the sheet was not read as data (``Sheet.skipped``).
SKIP_TITLE = "title"  # above the header row: a title, a note to the reader
SKIP_TOTAL = "total"  # a 合计 / 总计 / 小计 row under the data


@dataclass
class Sheet:
    """The sheet read from a workbook (or the CSV): its header row and its non-empty data
    rows, each with the row number Excel shows, merged ranges already filled in."""

    format: str  # "xlsx", "xls" or "csv"
    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    encoding: str | None = None
    header_line: int = 1
    name: str | None = None  # the worksheet's name; None for a CSV
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, SKIP_*)

    def __len__(self) -> int:
        return len(self.rows)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
