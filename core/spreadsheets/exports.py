"""Exports that are safe to open: no cell can start a formula, CSV goes out as UTF-8 with a
BOM so Chinese Excel opens it; and the XLSX of an import's bad rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import tablib
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.formats import base_formats

from core.spreadsheets.sheet import FORMULA_TRIGGERS, FormulaWithoutValue
from core.spreadsheets.stash import sheet_from_upload, sheet_to_dataset

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

    ``create_dataset`` accepts a raw upload or a stash (see ``stash_dumps``); ``columns``
    (set by ``for_columns``) decide which sheet and which row hold the table."""

    columns: Sequence[Any] | None = None

    @classmethod
    def for_columns(cls, columns: Sequence[Any]) -> type[SpreadsheetFormat]:
        return type(cls.__name__, (cls,), {"columns": tuple(columns)})

    def __init__(self, encoding: str | None = None) -> None:
        self.encoding = encoding  # the content decides; kept for the library's calls

    def get_title(self):
        return gettext_lazy("Spreadsheet (XLSX, XLS or CSV; detected automatically)")

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, str):  # pragma: no cover - binary read mode everywhere
            in_stream = in_stream.encode("utf-8")
        return sheet_to_dataset(sheet_from_upload(in_stream, columns=self.columns))

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
    """The bad rows as XLSX, to fix and upload again as they are: the file's own headers
    in its own order, each bad row's cells as uploaded, and beside them (in columns the
    import ignores) the reason and the row number in the original file. Escaped like
    every export: the uploaded cells may be the formula-injection attempt."""
    headers = list(headers)
    reason, row = _("reason (ignored on import)"), _("original row (ignored on import)")
    dataset = tablib.Dataset(headers=[*headers, reason, row])
    width = len(headers)
    for problem in problems:
        values = [display_value(v) for v in (list(problem.values) + [None] * width)[:width]]
        line = problem.line if problem.line is not None else _("file")
        dataset.append([*values, problem.message, line])
    return SafeXLSX().export_data(dataset)
