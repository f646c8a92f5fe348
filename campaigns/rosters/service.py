"""The roster import service: preview, confirm, audit, and background import jobs, for
the admin, the ``import_roster`` command and the Celery task alike.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export.results import Result, RowResult

from campaigns.audit import audit_record
from campaigns.models import ImportJob
from campaigns.rosters.pipeline import (
    ImportRefused,
    ImportScope,
    import_scope_build,
    resource_class_for,
)
from campaigns.rosters.preview import RowChange
from core.errors import DomainError
from core.spreadsheets.exports import Problem
from core.spreadsheets.sheet import Sheet, SpreadsheetError
from core.spreadsheets.stash import sheet_from_upload, sheet_to_dataset, stash_dumps
from core.work import (
    SweepResult,
    WorkKind,
    work_attempt_begin,
    work_fail,
    work_heartbeat,
    work_sweep,
)

logger = logging.getLogger(__name__)


# --- The service ------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did, or would do (``dry_run``)."""

    kind: str
    file_name: str
    dry_run: bool
    total: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    job: ImportJob | None = None
    # What does not stop the import: skipped title, total and example rows, amounts read
    # from a GBK file's "?" (docs/spreadsheets.md).
    notes: list[Problem] = field(default_factory=list)
    # The rows a preview would write (new, changed), in file order.
    changes: list[RowChange] = field(default_factory=list)
    sheet: str | None = None  # the worksheet read (None: a CSV)
    header_line: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": self.total,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": len(self.problems),
        }


def _report(kind: str, file_name: str, dry_run: bool, result: Result, dataset) -> ImportReport:
    problems = getattr(result, "problems", [])
    totals = result.totals
    return ImportReport(
        kind=kind,
        file_name=file_name,
        dry_run=dry_run,
        total=len(dataset) if dataset is not None else 0,
        # A rejected import wrote nothing; a preview says what the good rows would do.
        new=0 if problems and not dry_run else totals[RowResult.IMPORT_TYPE_NEW],
        updated=0 if problems and not dry_run else totals[RowResult.IMPORT_TYPE_UPDATE],
        unchanged=0 if problems and not dry_run else totals[RowResult.IMPORT_TYPE_SKIP],
        problems=problems,
        headers=list(dataset.headers or []) if dataset is not None else [],
        notes=list(getattr(result, "notes", [])),
        changes=list(getattr(result, "changes", [])),
        **_sheet_fields(getattr(result, "sheet", None) or getattr(dataset, "sheet", None)),
    )


def _sheet_fields(sheet: Sheet | None) -> dict[str, Any]:
    if sheet is None:
        return {}
    return {"sheet": sheet.name, "header_line": sheet.header_line}


def roster_import_dataset(
    *,
    kind: str,
    dataset,
    file_name: str,
    scope: ImportScope,
    dry_run: bool,
    progress: Callable[[int, int], None] | None = None,
    use_transactions: bool | None = None,
) -> ImportReport:
    """Preview (``dry_run``) or import a parsed sheet. Writes all rows or none; a
    successful import is recorded in the audit log (who, when, file, counts)."""
    resource = resource_class_for(kind)(scope=scope, progress=progress)
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        use_transactions=use_transactions,
        file_name=file_name,
        user=scope.user,
    )
    report = _report(kind, file_name, dry_run, result, dataset)
    if report.ok and not dry_run:
        roster_import_record(report=report, scope=scope)
    return report


def roster_import_record(*, report: ImportReport, scope: ImportScope) -> None:
    audit_record(
        actor=scope.user,
        action=f"import.{report.kind}",
        target=scope.campaign,
        school_id=scope.school.pk,
        reason=report.file_name,
        data={"file": report.file_name, "kind": report.kind, **report.counts},
    )


def roster_import_file(
    *, kind: str, data: bytes, file_name: str, scope: ImportScope, dry_run: bool
) -> ImportReport:
    """The command line's entry point: read, check and (unless ``dry_run``) import."""
    try:
        sheet = sheet_from_upload(
            data, file_name=file_name, columns=resource_class_for(kind).columns
        )
    except SpreadsheetError as exc:
        return ImportReport(kind, file_name, dry_run, problems=[Problem(exc.line, str(exc))])
    return roster_import_dataset(
        kind=kind,
        dataset=sheet_to_dataset(sheet),
        file_name=file_name,
        scope=scope,
        dry_run=dry_run,
    )


def roster_import_confirm(
    *, kind: str, dataset, file_name: str, scope: ImportScope
) -> ImportReport:
    """The confirm step of the admin import: at most ``IMPORT_ASYNC_ROW_THRESHOLD`` rows
    are imported now; a bigger file becomes a background ``ImportJob``."""
    if len(dataset) > settings.IMPORT_ASYNC_ROW_THRESHOLD:
        job = import_job_create(kind=kind, dataset=dataset, file_name=file_name, scope=scope)
        return ImportReport(kind, file_name, dry_run=False, total=len(dataset), job=job)
    return roster_import_dataset(
        kind=kind, dataset=dataset, file_name=file_name, scope=scope, dry_run=False
    )


# --- Background jobs ----------------------------------------------------------------------

IMPORT_JOB_WORK = WorkKind(
    model=ImportJob,
    unfinished=(ImportJob.Status.QUEUED, ImportJob.Status.VALIDATING, ImportJob.Status.WRITING),
    failed=ImportJob.Status.FAILED,
    created_field="created_at",
    failure_fields=lambda reason: {"errors": [{"line": None, "message": reason}], "progress": 100},
    finished_field="finished_at",
)


def import_job_create(*, kind: str, dataset, file_name: str, scope: ImportScope) -> ImportJob:
    """Store the parsed sheet and enqueue its import once this transaction commits."""
    from campaigns.tasks import import_job_run

    sheet: Sheet | None = getattr(dataset, "sheet", None)
    if sheet is None:
        sheet = Sheet(
            "csv",
            list(dataset.headers or []),
            [(n + 2, list(row)) for n, row in enumerate(dataset)],
        )
    job = ImportJob(
        kind=kind,
        school=scope.school,
        campaign=scope.campaign,
        created_by=scope.user if getattr(scope.user, "pk", None) else None,
        file_name=file_name[:255],
        total_rows=len(sheet.rows),
    )
    # Private storage, under a name nobody can guess (docs/files.md).
    job.file.save(
        f"{secrets.token_urlsafe(24)}.{kind}.sheet.json",
        ContentFile(stash_dumps(sheet)),
        save=False,
    )
    job.save()
    # After commit: a rolled-back request must not leave a task about a job that never
    # existed (and a worker must find the row when it starts).
    import_job_run.delay_on_commit(job.pk)
    return job


def import_job_execute(*, job_id: int) -> ImportJob | None:
    """Run a queued job: validate every row (progress committed as it goes), then write
    all rows in one transaction or none. Safe to run twice: a finished job is left alone,
    and a re-run import of the same rows changes nothing."""
    job = (
        ImportJob.objects.select_related("school", "campaign", "created_by")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        logger.info("import job %s is gone", job_id)
        return None
    if job.status in (
        ImportJob.Status.DONE,
        ImportJob.Status.FAILED,
        # A preview runs only once confirmed (campaigns/rosters/previews.py).
        ImportJob.Status.PREVIEWING,
        ImportJob.Status.PREVIEWED,
    ):
        return job
    if not work_attempt_begin(IMPORT_JOB_WORK, job.pk):
        job.refresh_from_db()
        return job

    def set_progress(status: str, percent: int, **fields: Any) -> None:
        if status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
            fields["finished_at"] = timezone.now()
        work_heartbeat(IMPORT_JOB_WORK, job.pk, status=status, progress=percent, **fields)

    try:
        if job.created_by is None:
            # Jobs come from the admin; without its user the scope cannot be checked.
            raise ImportRefused(_("The user who started this import no longer exists."))
        with job.file.open("rb") as handle:
            sheet = sheet_from_upload(handle.read())
        photos = None
        if job.photos:  # a contestant list confirmed from a background preview
            with job.photos.open("rb") as handle:
                photos = handle.read()
        scope = import_scope_build(
            user=job.created_by, school=job.school, campaign=job.campaign, photos=photos
        )
    except (SpreadsheetError, DomainError) as exc:
        set_progress(ImportJob.Status.FAILED, 100, errors=[{"line": None, "message": str(exc)}])
        job.refresh_from_db()
        return job

    dataset = sheet_to_dataset(sheet)
    set_progress(ImportJob.Status.VALIDATING, 1)
    # Test settings only (0 elsewhere): lets a test kill a worker mid-job.
    if pause := getattr(settings, "IMPORT_TEST_PAUSE_SECONDS", 0):
        time.sleep(pause)

    def on_row(done: int, total: int) -> None:
        # 1..80 %: validation; the dry run runs outside a transaction so each progress
        # update is visible to the admin at once.
        set_progress(ImportJob.Status.VALIDATING, 1 + int(79 * done / max(total, 1)))

    # The dry run writes nothing even without a transaction: bulk writes are skipped
    # when ``dry_run`` and no transaction is in use (django-import-export).
    check = roster_import_dataset(
        kind=job.kind,
        dataset=dataset,
        file_name=job.file_name,
        scope=scope,
        dry_run=True,
        progress=on_row,
        use_transactions=False,
    )
    if not check.ok:
        set_progress(
            ImportJob.Status.FAILED,
            100,
            errors=[
                {"line": p.line, "message": p.message, "values": _jsonable(p.values)}
                for p in check.problems
            ],
            headers=check.headers,
        )
        job.refresh_from_db()
        return job
    set_progress(ImportJob.Status.WRITING, 80)
    with transaction.atomic():
        # One writer per job, and none once it is finished: a second delivery (the sweep
        # sent a slow job again) waits for this row lock and then finds the job done.
        # (SQLite's IMMEDIATE transactions serialise writers anyway.)
        locked = ImportJob.objects.select_for_update().filter(pk=job.pk)
        if locked.values_list("status", flat=True).first() not in IMPORT_JOB_WORK.unfinished:
            job.refresh_from_db()
            return job
        report = roster_import_dataset(
            kind=job.kind,
            dataset=sheet_to_dataset(sheet),
            file_name=job.file_name,
            scope=scope,
            dry_run=False,
        )
        set_progress(
            ImportJob.Status.DONE if report.ok else ImportJob.Status.FAILED,
            100,
            new=report.new,
            updated=report.updated,
            unchanged=report.unchanged,
            errors=[
                {"line": p.line, "message": p.message, "values": _jsonable(p.values)}
                for p in report.problems
            ],
            headers=report.headers,
        )
    job.refresh_from_db()
    return job


def import_job_fail(*, job_id: int, error: str) -> bool:
    """Mark an unfinished job failed with ``error`` (its task gave up); nothing was
    written, its import ran in one transaction."""
    return work_fail(IMPORT_JOB_WORK, job_id, reason=error)


def import_job_retry(*, job: ImportJob, actor: Any) -> bool:
    """Queue a failed job again from scratch (admin's "retry"); False unless it had
    failed. Recorded in the audit log."""
    from campaigns.tasks import import_job_run

    with transaction.atomic():
        reset = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED).update(
            status=ImportJob.Status.QUEUED,
            progress=0,
            attempts=0,
            errors=[],
            headers=[],
            new=0,
            updated=0,
            unchanged=0,
            finished_at=None,
            heartbeat_at=timezone.now(),
        )
        if not reset:
            return False
        audit_record(
            actor=actor,
            action="import_job.retry",
            target=job,
            school_id=job.school_id,
            reason=job.file_name,
            data={"job": job.pk, "errors": job.errors[:5]},
        )
        import_job_run.delay_on_commit(job.pk)
    return True


def import_jobs_sweep() -> SweepResult:
    """Send stuck jobs again, or fail those out of attempts (core/work.py)."""
    from campaigns.tasks import import_job_run

    with transaction.atomic():
        return work_sweep(IMPORT_JOB_WORK, send=import_job_run.delay)


def _jsonable(values: list[Any]) -> list[Any]:
    out = []
    for value in values:
        out.append(
            value if value is None or isinstance(value, bool | int | float | str) else str(value)
        )
    return out
