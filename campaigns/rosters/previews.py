"""Big previews in the background: a file of more than
``IMPORT_ASYNC_PREVIEW_ROW_THRESHOLD`` rows (or a photo zip of more than
``IMPORT_ASYNC_PREVIEW_PHOTOS`` files) is checked by a Celery task with its progress in
admin, like a big import, instead of inside the web request (a 50,000-row file took 93 s,
past gunicorn's timeout).

The job moves previewing → previewed (every row good: the counts it would write, and a
"Confirm import" button) or failed (the bad-row report). Confirming queues the same job
as an import (``import_job_run``), which checks every row again before writing.
"""

from __future__ import annotations

import logging
import secrets
import zipfile
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import ImportJob
from campaigns.rosters.pipeline import ImportRefused, ImportScope, import_scope_build
from campaigns.rosters.service import _jsonable, roster_import_dataset
from campaigns.rules import is_ops
from core.errors import DomainError
from core.spreadsheets.sheet import Sheet, SpreadsheetError
from core.spreadsheets.stash import sheet_from_upload, sheet_to_dataset, stash_dumps

logger = logging.getLogger(__name__)


def import_preview_in_background(*, rows: int, photos: bytes | None) -> bool:
    """Whether a preview of this size runs as a background job."""
    if rows > settings.IMPORT_ASYNC_PREVIEW_ROW_THRESHOLD:
        return True
    if photos:
        try:
            members = len(zipfile.ZipFile(BytesIO(photos)).infolist())
        except zipfile.BadZipFile:
            return False  # the preview says why, at once
        return members > settings.IMPORT_ASYNC_PREVIEW_PHOTOS
    return False


def import_preview_job_create(
    *, kind: str, sheet: Sheet, file_name: str, scope: ImportScope
) -> ImportJob:
    """Store the parsed sheet (and photo zip), and enqueue its preview after commit."""
    from campaigns.tasks import import_preview_run

    job = ImportJob(
        kind=kind,
        school=scope.school,
        campaign=scope.campaign,
        created_by=scope.user if getattr(scope.user, "pk", None) else None,
        file_name=file_name[:255],
        total_rows=len(sheet.rows),
        status=ImportJob.Status.PREVIEWING,
    )
    token = secrets.token_urlsafe(24)
    job.file.save(f"{token}.{kind}.sheet.json", ContentFile(stash_dumps(sheet)), save=False)
    if scope.photos:
        job.photos.save(f"{token}.photos.zip", ContentFile(scope.photos), save=False)
    job.save()
    import_preview_run.delay_on_commit(job.pk)
    return job


def import_job_scope(job: ImportJob) -> ImportScope:
    """The job's scope, checked again (the user may have lost their school since)."""
    if job.created_by is None:
        raise ImportRefused(_("The user who started this import no longer exists."))
    photos = None
    if job.photos:
        with job.photos.open("rb") as handle:
            photos = handle.read()
    return import_scope_build(
        user=job.created_by, school=job.school, campaign=job.campaign, photos=photos
    )


def import_preview_job_execute(*, job_id: int) -> ImportJob | None:
    """Check every row of a previewing job, progress committed as it goes. Safe to run
    twice: only a job still previewing is run, and a dry run writes nothing."""
    job = (
        ImportJob.objects.select_related("school", "campaign", "created_by")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        logger.info("import preview %s is gone", job_id)
        return None
    if job.status != ImportJob.Status.PREVIEWING:
        return job

    def update(**fields) -> None:
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEWING).update(**fields)

    try:
        with job.file.open("rb") as handle:
            sheet = sheet_from_upload(handle.read())
        scope = import_job_scope(job)
    except (SpreadsheetError, DomainError, FileNotFoundError) as exc:
        update(
            status=ImportJob.Status.FAILED,
            progress=100,
            finished_at=timezone.now(),
            errors=[{"line": None, "message": str(exc)}],
        )
        job.refresh_from_db()
        return job

    def on_row(done: int, total: int) -> None:
        update(progress=min(99, int(99 * done / max(total, 1))))

    report = roster_import_dataset(
        kind=job.kind,
        dataset=sheet_to_dataset(sheet),
        file_name=job.file_name,
        scope=scope,
        dry_run=True,
        progress=on_row,
        use_transactions=False,
    )
    fields = {
        "progress": 100,
        "new": report.new,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "headers": report.headers,
        "errors": [
            {"line": p.line, "message": p.message, "values": _jsonable(p.values)}
            for p in report.problems
        ],
    }
    if report.ok:
        update(status=ImportJob.Status.PREVIEWED, **fields)
    else:
        update(status=ImportJob.Status.FAILED, finished_at=timezone.now(), **fields)
    job.refresh_from_db()
    return job


def import_job_confirm(*, job_id: int, user) -> bool:
    """Queue a previewed job as an import (once: a conditional UPDATE, so a double click
    queues one import). Only its starter or operations staff confirm it."""
    from campaigns.tasks import import_job_run

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or not (is_ops(user) or job.created_by_id == user.pk):
        return False
    with transaction.atomic():
        queued = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PREVIEWED).update(
            status=ImportJob.Status.QUEUED, progress=0, new=0, updated=0, unchanged=0
        )
        if queued:
            import_job_run.delay_on_commit(job_id)
    return bool(queued)
