"""Roster imports: one pipeline behind the admin import, the ``import_roster`` command and
the background import job.

Every import is a django-import-export resource (``RosterResource``) run in two steps: a
preview (dry run: new / updated / unchanged counts and every bad row with its row number
and reason) and a confirm that writes the same rows in one transaction, or nothing if any
row is bad. The library's defaults are unsafe or slow for this, so the resource changes
them (docs/library-traps.md, django-import-export):

- a row error rolls the whole import back (``rollback_on_validation_errors`` is always on,
  not only when asked, #1338);
- rows are matched on a natural key (e.g. school + student id), never on ``id``, so a
  re-upload updates instead of duplicating (#273), and unchanged rows are skipped;
- a natural key twice in one file is a row error, not "last one wins" (#1130);
- existing rows are fetched in one query per import (``NaturalKeyLoader``), not one
  SELECT and one ``full_clean`` per row (#921), and written with ``bulk_create`` /
  ``bulk_update`` in batches;
- the scope is checked on every row: an intern imports only into their own school, and a
  row naming another school is an error, never a silent write.

The kinds live in the apps that own their models; this module (bottom layer) finds them
by dotted path in ``KINDS``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from import_export import resources
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import Error, Result, RowResult

from campaigns.models import Campaign, School
from campaigns.rules import is_ops, user_school_id
from core.errors import DomainError
from core.spreadsheets.cleaners import clean_text
from core.spreadsheets.exports import Problem
from core.spreadsheets.headers import Column, header_key, map_columns
from core.spreadsheets.sheet import CellError, Sheet, SpreadsheetError

logger = logging.getLogger(__name__)


# KIND (the command's argument) → resource class, by path: the apps build on this module.
KINDS: dict[str, str] = {
    "ambassadors": "ambassadors.resources.AmbassadorResource",
    "contestants": "voting.resources.ContestantResource",
    "worklogs": "ambassadors.resources.WorkLogResource",
    "expenses": "campaigns.resources.ExpenseResource",
}


class ImportRefused(DomainError):
    code = "import_refused"
    status = 403


def resource_class_for(kind: str) -> type[RosterResource]:
    try:
        return import_string(KINDS[kind])
    except KeyError:
        raise DomainError(
            _("Unknown import kind %(kind)s; use one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(KINDS)}
        ) from None


@dataclass(frozen=True)
class ImportScope:
    """Where rows go and on whose behalf. ``user`` None is the command line run by an
    operator without ``--user``: operations rights."""

    school: School
    user: Any = None
    campaign: Campaign | None = None
    photos: bytes | None = None  # a zip of contestants' photos, matched by file name

    @property
    def is_ops(self) -> bool:
        return self.user is None or is_ops(self.user)

    @property
    def ambassador(self):
        """The importing intern's Ambassador row, if the user is one."""
        if self.user is None or not getattr(self.user, "pk", None):
            return None
        return getattr(self.user, "ambassador", None)


def import_scope_build(
    *, user: Any, school: School, campaign: Campaign | None = None, photos: bytes | None = None
) -> ImportScope:
    """Check that ``user`` may import into ``school`` (and ``campaign``); raise
    ``ImportRefused`` otherwise. Operations staff import anywhere; an intern only into the
    school of their active Ambassador row."""
    if user is not None and not is_ops(user) and user_school_id(user) != school.pk:
        raise ImportRefused(_("You can only import into your own school."))
    if campaign is not None and campaign.pilot.school_id != school.pk:
        raise ImportRefused(
            _("The campaign %(campaign)s belongs to another school.") % {"campaign": campaign}
        )
    return ImportScope(school=school, user=user, campaign=campaign, photos=photos)


class StudentIds:
    """Known student ids, to recover ones Excel turned into numbers: "007" typed in a
    numeric column arrives as 7. A number that matches exactly one known id once leading
    zeros are ignored is that id; anything else is taken as written."""

    def __init__(self, ids) -> None:
        self.exact = set(ids)
        self.stripped: dict[str, str | None] = {}
        for sid in self.exact:
            key = sid.lstrip("0")
            self.stripped[key] = None if key in self.stripped else sid

    def resolve(self, raw: Any, student_id: str | None) -> str | None:
        if not student_id or student_id in self.exact or not isinstance(raw, int | float):
            return student_id
        return self.stripped.get(student_id.lstrip("0")) or student_id


class NaturalKeyLoader(BaseInstanceLoader):
    """Every existing row the file could match, in one query, keyed by natural key
    (django-import-export's default loader runs one SELECT per row)."""

    def __init__(self, resource: RosterResource, dataset=None) -> None:
        super().__init__(resource, dataset)
        self.by_key: dict[tuple, list[Any]] = {}
        for instance in resource.existing_rows():
            self.by_key.setdefault(resource.instance_key(instance), []).append(instance)

    def get_instance(self, row):  # the library's API; RosterResource looks up by key
        raise NotImplementedError("RosterResource.import_row looks rows up by natural key")


class RosterResource(resources.ModelResource):
    """Base of every roster import. Subclasses declare ``columns`` (what the file may
    hold) and the natural key, and implement ``clean_row``, ``row_key`` /
    ``instance_key``, ``existing_rows``, ``new_instance`` and ``apply``. Export fields
    are ordinary django-import-export fields whose headers are the columns' headers, so
    an export imports back."""

    kind: ClassVar[str] = ""
    columns: ClassVar[tuple[Column, ...]] = ()
    # Model fields an update may write (bulk_update needs them by name).
    update_fields: ClassVar[tuple[str, ...]] = ()

    class Meta:
        use_bulk = True
        batch_size = 1000
        skip_unchanged = True
        # Unchanged rows are detected by comparing cleaned values with the stored ones
        # (``apply``), so no deepcopy/diff of every instance is needed.
        skip_diff = True
        report_skipped = False
        # full_clean() per row would run a uniqueness SELECT per row; rows are
        # validated by the cleaners and checks below, and the database constraints back
        # them up (a violation rolls the whole import back).
        clean_model_instances = False
        use_transactions = True
        instance_loader_class = NaturalKeyLoader

    def __init__(
        self,
        *,
        scope: ImportScope | None = None,
        user: Any = None,
        progress: Callable[[int, int], None] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.scope = scope
        self.user = user if user is not None else (scope.user if scope else None)
        self.progress = progress
        self._headers: dict[str, str] = {}
        self._lines: list[int] = []
        self._seen: dict[tuple, int] = {}
        self._total = 0

    # --- what subclasses implement ----------------------------------------------------

    def clean_row(self, raw: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
        raise NotImplementedError

    def row_key(self, values: dict[str, Any]) -> tuple:
        raise NotImplementedError

    def instance_key(self, instance) -> tuple:
        raise NotImplementedError

    def existing_rows(self):
        raise NotImplementedError

    def new_instance(self, values: dict[str, Any]):
        raise NotImplementedError

    def apply(self, instance, values: dict[str, Any]) -> bool:
        """Write ``values`` into an existing ``instance``; return whether anything
        changed. Blank optional cells leave stored values alone."""
        raise NotImplementedError

    def key_label(self, values: dict[str, Any]) -> str:
        return " / ".join(str(part) for part in self.row_key(values))

    # --- helpers for subclasses -------------------------------------------------------

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

    def column_header(self, name: str) -> str:
        for col in self.columns:
            if col.field == name:
                return col.header
        return name

    def check_school(self, raw: dict[str, Any], errors: dict[str, list[str]]) -> None:
        """A 学校 column is optional; when present it must name the import's school."""
        if not self.has_column("school") or self.scope is None:
            return
        named = self.cell(raw, "school", clean_text, errors)
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

    # --- django-import-export hooks ---------------------------------------------------

    def prepare_dataset(self, dataset):
        """Map the file's headers (any language, order, spacing) to ``columns``."""
        sheet: Sheet | None = getattr(dataset, "sheet", None)
        try:
            mapping = map_columns(list(dataset.headers or []), self.columns)
        except SpreadsheetError as exc:
            exc.line = sheet.header_line if sheet is not None else 1
            raise
        self._headers = {name: dataset.headers[index] for name, index in mapping.items()}
        if sheet is not None:
            self._lines = [line for line, _values in sheet.rows]
        else:
            self._lines = [n + 2 for n in range(len(dataset))]
        if not len(dataset):
            raise SpreadsheetError(_("The file has a header row but no data rows."))
        self._seen = {}
        self._total = len(dataset)
        return dataset

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        if self.scope is None:
            raise ImproperlyConfiguredScope()
        try:
            dataset = self.prepare_dataset(dataset)
        except SpreadsheetError as exc:
            result = self.get_result_class()()
            result.append_base_error(self.get_error_result_class()(exc))
            result.problems = [Problem(exc.line, str(exc))]
            return result
        # Any bad row rolls everything back, whatever the caller asked (#1338).
        result = super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=True,
            **kwargs,
        )
        result.problems = self.problems(result)
        return result

    def import_row(self, row, instance_loader, **kwargs):
        number = kwargs["row_number"]
        line = self._lines[number - 1]
        row_result = self.get_row_result_class()()
        try:
            errors: dict[str, list[str]] = {}
            values = self.clean_row(row, errors)
            self.check_school(row, errors)
            key = self._key_or_none(values)
            if key is not None:
                # A key twice in one file is an error, even when its first row has other
                # problems (the library would apply both rows, last one wins: #1130).
                first = self._seen.setdefault(key, line)
                if first != line:
                    errors.setdefault(NON_FIELD_ERRORS, []).append(
                        _("%(key)s is already in row %(first)d of this file")
                        % {"key": self.key_label(values), "first": first}
                    )
            if errors:
                raise ValidationError(errors)
            matches = instance_loader.by_key.get(key, [])
            if len(matches) > 1:
                raise ValidationError(
                    _("%(key)s matches %(n)d existing rows; fix them in admin first")
                    % {"key": self.key_label(values), "n": len(matches)}
                )
            if matches:
                instance = matches[0]
                if not self.apply(instance, values):
                    row_result.import_type = RowResult.IMPORT_TYPE_SKIP
                    return row_result
                row_result.import_type = RowResult.IMPORT_TYPE_UPDATE
                self.save_instance(instance, False, row, **kwargs)
            else:
                instance = self.new_instance(values)
                row_result.import_type = RowResult.IMPORT_TYPE_NEW
                self.save_instance(instance, True, row, **kwargs)
            if self._meta.store_instance or kwargs.get("retain_instance_in_row_result"):
                row_result.instance = instance
        except ValidationError as exc:
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = exc
        except Exception as exc:  # a bug or a database error: reported, rolled back
            logger.exception("import row %s failed", line)
            row_result.import_type = RowResult.IMPORT_TYPE_ERROR
            row_result.errors.append(self.get_error_result_class()(exc, row=row, number=number))
        finally:
            if self.progress is not None and number % 500 == 0:
                self.progress(number, self._total)
        return row_result

    def _key_or_none(self, values: dict[str, Any]) -> tuple | None:
        """The row's natural key, or None while a part of it is missing or invalid."""
        try:
            key = self.row_key(values)
        except (AttributeError, KeyError, TypeError):  # e.g. no ambassador/round found
            return None
        return None if any(part is None for part in key) else key

    def get_bulk_update_fields(self):
        return list(self.update_fields)

    # A preview writes nothing, not even inside a transaction it rolls back: every row
    # was checked against the one prefetch above, and the confirm step writes all rows
    # in one transaction, so a database constraint can still refuse the whole file then.
    # (The library inserts and rolls back during a dry run: half the preview's time.)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if dry_run:
            self.create_instances.clear()
            return
        super().bulk_create(using_transactions, dry_run, raise_errors, batch_size, result)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if dry_run:
            self.update_instances.clear()
            return
        super().bulk_update(using_transactions, dry_run, raise_errors, batch_size, result)

    def after_import(self, dataset, result, **kwargs):
        # The library resets SQL sequences after imports that set ids; ours never do.
        return None

    def problems(self, result: Result) -> list[Problem]:
        """Every bad row as "row N: reason", by sheet row number."""
        found: list[Problem] = [Problem(None, _base_error_text(e)) for e in result.base_errors]
        for invalid in result.invalid_rows:
            found.append(
                Problem(
                    self._lines[invalid.number - 1],
                    _validation_text(invalid.error),
                    list(invalid.values),
                )
            )
        for number, row_errors in result.row_errors():
            found.append(
                Problem(
                    self._lines[number - 1],
                    "; ".join(_base_error_text(e) for e in row_errors),
                    list(row_errors[0].row.values()) if row_errors[0].row else [],
                )
            )
        found.sort(key=lambda p: (p.line is not None, p.line or 0))
        return found


class ImproperlyConfiguredScope(RuntimeError):
    """A RosterResource used for import without an ImportScope."""


def _validation_text(error: ValidationError) -> str:
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


def _base_error_text(error: Error) -> str:
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
