"""The cells of one roster row, for the resources (``RosterResource`` and its kinds):
reading a column whatever its header says, recording each cell's error under its header,
amounts from GBK files, notes for the preview, and the wording of row errors."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.utils.translation import gettext as _
from import_export.results import Error

from campaigns.rosters.matching import StudentIds
from campaigns.rosters.preview import (
    CHANGED,
    NEW,
    FieldChange,
    RowChange,
    field_label,
    field_value,
    show,
)
from core.errors import DomainError
from core.spreadsheets.cleaners import LOST_CURRENCY, clean_decimal, clean_key
from core.spreadsheets.exports import Problem
from core.spreadsheets.headers import header_key
from core.spreadsheets.sheet import SKIP_TITLE, SKIP_TOTAL, CellError, SpreadsheetError

logger = logging.getLogger("campaigns.rosters.pipeline")


class RowCellsMixin:
    """Helpers of ``RosterResource`` for reading cells and recording the preview."""

    def raw(self, raw: dict[str, Any], name: str) -> Any:
        header = self._headers.get(name)
        return raw.get(header) if header is not None else None

    def has_column(self, name: str) -> bool:
        return name in self._headers

    def cell(
        self,
        raw: dict[str, Any],
        name: str,
        cleaner: Callable[[Any], Any],
        errors: dict[str, list[str]],
    ) -> Any:
        """Clean one cell, recording a CellError under the column's header."""
        header = self._headers.get(name)
        value = raw.get(header) if header is not None else None
        try:
            return cleaner(value)
        except CellError as exc:
            errors.setdefault(self.column_header(name), []).append(str(exc))
            return None

    def note(self, line: int | None, message: str) -> None:
        """A remark for the preview that does not stop the import."""
        self.notes.append(Problem(line, message))

    def student_ids(self, ids) -> StudentIds:
        """Stored ids, matched like numbers when the file is a CSV (which has no types)."""
        return StudentIds(ids, loose=self.sheet is not None and self.sheet.format == "csv")

    @property
    def gbk_csv(self) -> bool:
        return (
            self.sheet is not None
            and self.sheet.format == "csv"
            and self.sheet.encoding == "gb18030"
        )

    def money(self, raw: dict[str, Any], name: str, errors, **limits) -> Any:
        """An amount; a "?" for a "¥" that a GBK CSV could not hold is read, with a note."""
        value = self.cell(
            raw, name, lambda v: clean_decimal(v, lost_currency=self.gbk_csv, **limits), errors
        )
        cell = self.raw(raw, name)
        if value is not None and isinstance(cell, str) and LOST_CURRENCY.search(cell):
            self.note(
                self.line,
                _(
                    '%(column)s: "%(value)s" read as ¥%(amount)s: a "?" stands where the '
                    'currency sign was lost, since GBK has no "¥"; save the file as "CSV '
                    'UTF-8" or .xlsx to keep it'
                )
                % {"column": self.column_header(name), "value": cell.strip(), "amount": value},
            )
        return value

    def column_header(self, name: str) -> str:
        for col in self.columns:
            if col.field == name:
                return col.header
        return name

    def check_school(self, raw: dict[str, Any], errors: dict[str, list[str]]) -> None:
        """A 学校 column is optional; when present it must name the import's school."""
        if not self.has_column("school") or self.scope is None:
            return
        named = self.cell(raw, "school", clean_key, errors)
        if not named:
            return
        school = self.scope.school
        if header_key(named) not in {header_key(school.name), header_key(school.slug)}:
            if self.scope.is_ops:
                message = _("%(named)s is not the school of this import (%(school)s)")
            else:
                message = _(
                    "%(named)s is not your school (%(school)s); you can only import "
                    "into your own school"
                )
            errors.setdefault(self.column_header("school"), []).append(
                message % {"named": named, "school": school.name}
            )

    # --- the preview --------------------------------------------------------------------
    # Cheap during the dry run (raw values compared, nothing formatted or queried); a row's
    # fields are shown only when its page of the preview is.

    def preview_value(self, instance, name: str) -> str:
        """How the preview shows ``instance.name`` (subclasses mask what must be)."""
        return show(field_value(instance, name))

    def preview_old_value(self, name: str, raw: Any) -> str:
        """How the preview shows a stored value an update replaces."""
        try:
            field = self._meta.model._meta.get_field(name)
        except FieldDoesNotExist:
            return show(raw)
        if field.choices:
            return show(dict(field.flatchoices).get(raw, raw))
        return show(raw)

    def _attnames(self) -> tuple[str, ...]:
        cached = getattr(self, "_preview_attnames", None)
        if cached is None:
            opts = self._meta.model._meta
            names = []
            for name in self.preview_fields:
                try:
                    names.append(opts.get_field(name).attname)
                except FieldDoesNotExist:
                    names.append(name)
            cached = self._preview_attnames = tuple(names)
        return cached

    def snapshot(self, instance) -> tuple:
        """The preview fields' stored values (ids for related rows): no query."""
        return tuple(getattr(instance, name, None) for name in self._attnames())

    def record_new(self, line: int, values, instance) -> None:
        model, fields = self._meta.model, self.preview_fields

        def render() -> list[FieldChange]:
            return [
                FieldChange(field_label(model, name), "", self.preview_value(instance, name))
                for name in fields
            ]

        self.changes.append(RowChange(line, NEW, self.key_label(values), render=render))

    def record_changed(self, line: int, values, instance, before: tuple) -> None:
        after = self.snapshot(instance)
        changed = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        model, fields = self._meta.model, self.preview_fields

        def render() -> list[FieldChange]:
            return [
                FieldChange(
                    field_label(model, fields[i]),
                    self.preview_old_value(fields[i], before[i]),
                    self.preview_value(instance, fields[i]),
                )
                for i in changed
            ]

        self.changes.append(RowChange(line, CHANGED, self.key_label(values), render=render))


def skip_reason(why: str) -> str:
    if why == SKIP_TITLE:
        return _("skipped: a title row above the header")
    if why == SKIP_TOTAL:
        return _("skipped: a total row (合计), not data")
    return _("skipped")


def same_as_example(cell: Any, example: Any) -> bool:
    """A cell equal to the template's example value, whatever type the sheet gave it."""

    if isinstance(cell, dt.datetime):
        cell = cell.date()
    if isinstance(example, dt.date) or isinstance(cell, dt.date):
        return cell == example
    try:
        return clean_key(cell) == clean_key(example)
    except CellError:
        return False


def validation_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        parts = []
        for name, errors in error.error_dict.items():
            messages = [m for e in errors for m in e.messages]
            if name == NON_FIELD_ERRORS:
                parts.extend(messages)
            else:
                parts.append(f"{name}: {', '.join(messages)}")
        return "; ".join(parts)
    return "; ".join(error.messages)


def base_error_text(error: Error) -> str:
    exc = error.error
    if isinstance(exc, SpreadsheetError):
        return str(exc)
    if isinstance(exc, DomainError):
        return exc.message
    # Database errors name tables and constraints; say what happened without leaking
    # internals, and keep the detail in the log.
    logger.warning("import failed: %r", exc)
    return _("the database refused the rows (%(error)s); nothing was imported") % {
        "error": type(exc).__name__
    }
