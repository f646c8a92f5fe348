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
from import_export.results import Result, RowResult

from campaigns.models import Campaign, School
from campaigns.rosters.cells import (
    RowCellsMixin,
    base_error_text,
    same_as_example,
    skip_reason,
    validation_text,
)
from campaigns.rosters.preview import RowChange
from campaigns.rules import is_ops, user_school_id
from core.errors import DomainError
from core.spreadsheets.exports import Problem
from core.spreadsheets.headers import Column, map_columns
from core.spreadsheets.reading import in_sheet
from core.spreadsheets.sheet import Sheet, SpreadsheetError

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


class RosterResource(RowCellsMixin, resources.ModelResource):
    """Base of every roster import. Subclasses declare ``columns`` (what the file may
    hold) and the natural key, and implement ``clean_row``, ``row_key`` /
    ``instance_key``, ``existing_rows``, ``new_instance`` and ``apply``. Export fields
    are ordinary django-import-export fields whose headers are the columns' headers, so
    an export imports back."""

    kind: ClassVar[str] = ""
    columns: ClassVar[tuple[Column, ...]] = ()
    # Model fields an update may write (bulk_update needs them by name).
    update_fields: ClassVar[tuple[str, ...]] = ()
    # What the preview shows of a row about to be written (model attributes).
    preview_fields: ClassVar[tuple[str, ...]] = ()
    # The template's example row (field → cell) and its drop-down lists (field → the
    # options; campaigns/rosters/blanks.py). A row equal to the example is skipped.
    template_example: ClassVar[dict[str, Any]] = {}
    template_lists: ClassVar[dict[str, Any]] = {}
    # Every written form an option column accepts (field → a function returning
    # {written form: stored value}), the same the cleaners match against; the import
    # page lists them (campaigns/rosters/guide.py).
    option_words: ClassVar[dict[str, Callable[[], dict[str, Any]]]] = {}

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
        self.sheet: Sheet | None = None
        self.notes: list[Problem] = []
        self.changes: list[RowChange] = []
        self._dry_run = False

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

    # --- django-import-export hooks ---------------------------------------------------

    def prepare_dataset(self, dataset):
        """Map the file's headers (any language, order, spacing) to ``columns``."""
        sheet: Sheet | None = getattr(dataset, "sheet", None)
        if sheet is None:  # a plain Dataset (tests, the library): header in row 1
            sheet = Sheet("csv", list(dataset.headers or []), [])
            sheet.rows = [(n + 2, list(row)) for n, row in enumerate(dataset)]
        self.sheet = sheet
        try:
            mapping = map_columns(list(dataset.headers or []), self.columns)
        except SpreadsheetError as exc:
            raise SpreadsheetError(in_sheet(sheet.name, str(exc)), line=sheet.header_line) from exc
        self._headers = {name: dataset.headers[index] for name, index in mapping.items()}
        self.notes = [Problem(line, skip_reason(why)) for line, why in sheet.skipped]
        self.changes = []
        examples = self._example_lines(dataset, sheet)
        if examples:
            keep = [i for i, (line, _v) in enumerate(sheet.rows) if line not in examples]
            dataset._data = [dataset._data[i] for i in keep]
            sheet = Sheet(**{**sheet.__dict__, "rows": [sheet.rows[i] for i in keep]})
            self.sheet = dataset.sheet = sheet
            self.notes += [
                Problem(line, _("skipped: the template's example row")) for line in examples
            ]
            self.notes.sort(key=lambda p: p.line or 0)
        self._lines = [line for line, _values in sheet.rows]
        if not len(dataset) and not examples:
            raise SpreadsheetError(
                in_sheet(sheet.name, _("The file has a header row but no data rows."))
            )
        self._seen = {}
        self._total = len(dataset)
        return dataset

    def _example_lines(self, dataset, sheet: Sheet) -> set[int]:
        """Rows equal to the template's example row (left in by the person filling it)."""
        example = {k: v for k, v in self.template_example.items() if k in self._headers}
        if not example or len(example) < len(self.template_example) // 2 + 1:
            return set()
        index = {name: dataset.headers.index(h) for name, h in self._headers.items()}
        found = set()
        for line, values in sheet.rows:
            if all(same_as_example(values[index[k]], v) for k, v in example.items()):
                found.add(line)
        return found

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
        self._dry_run = dry_run
        try:
            dataset = self.prepare_dataset(dataset)
        except SpreadsheetError as exc:
            result = self.get_result_class()()
            result.append_base_error(self.get_error_result_class()(exc))
            result.problems = [Problem(exc.line, str(exc))]
            result.notes, result.changes, result.sheet = [], [], self.sheet
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
        result.notes = sorted(self.notes, key=lambda p: p.line or 0)
        result.changes = self.changes
        result.sheet = self.sheet
        return result

    def import_row(self, row, instance_loader, **kwargs):
        number = kwargs["row_number"]
        line = self._lines[number - 1]
        row_result = self.get_row_result_class()()
        self.line = line
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
                before = self.snapshot(instance) if self._dry_run else None
                if not self.apply(instance, values):
                    row_result.import_type = RowResult.IMPORT_TYPE_SKIP
                    return row_result
                row_result.import_type = RowResult.IMPORT_TYPE_UPDATE
                if before is not None:
                    self.record_changed(line, values, instance, before)
                self.save_instance(instance, False, row, **kwargs)
            else:
                instance = self.new_instance(values)
                row_result.import_type = RowResult.IMPORT_TYPE_NEW
                if self._dry_run:
                    self.record_new(line, values, instance)
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
        found: list[Problem] = [Problem(None, base_error_text(e)) for e in result.base_errors]
        # Each bad row's cells as the file has them (its own columns, its own order), so
        # the downloaded report can be fixed and uploaded again.
        rows = self.sheet.rows if self.sheet is not None else []
        for invalid in result.invalid_rows:
            line, values = rows[invalid.number - 1]
            found.append(Problem(line, validation_text(invalid.error), list(values)))
        for number, row_errors in result.row_errors():
            line, values = rows[number - 1]
            found.append(
                Problem(line, "; ".join(base_error_text(e) for e in row_errors), list(values))
            )
        found.sort(key=lambda p: (p.line is not None, p.line or 0))
        return found


class ImproperlyConfiguredScope(RuntimeError):
    """A RosterResource used for import without an ImportScope."""
