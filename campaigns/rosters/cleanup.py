"""Deleting the roster import's private files once nobody needs them (docs/files.md):
django-import-export's previews (the stashed upload between preview and confirm) and
the parsed sheets of finished import jobs. Run by beat every hour
(``campaigns.tasks.import_files_sweep``); safe to run twice or concurrently.
"""

from __future__ import annotations

import logging
import posixpath
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import ImportJob
from core.storage import PreviewStorage

logger = logging.getLogger(__name__)

PREVIEW_FOLDER = "django-import-export"


def _delete_quietly(storage, name: str) -> bool:
    try:
        storage.delete(name)
    except FileNotFoundError:
        return False
    return True


def import_files_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Delete previews older than ``IMPORT_PREVIEW_MAX_AGE_HOURS`` (a confirm after that
    asks for the file again) and the parsed sheet of every job finished more than
    ``IMPORT_JOB_FILE_MAX_AGE_HOURS`` ago (its counts and bad-row report stay)."""
    now = now or timezone.now()
    previews = storages["import_export"]
    preview_cutoff = now - timedelta(hours=settings.IMPORT_PREVIEW_MAX_AGE_HOURS)
    deleted_previews = 0
    try:
        _dirs, names = previews.listdir(PREVIEW_FOLDER)
    except FileNotFoundError:
        names = []
    for name in names:
        path = posixpath.join(PREVIEW_FOLDER, name)
        try:
            old = previews.get_modified_time(path) < preview_cutoff
        except FileNotFoundError:
            continue
        # Only what the library names (uuid4 hex) is ours to delete.
        if old and PreviewStorage.is_valid_name(name) and _delete_quietly(previews, path):
            deleted_previews += 1

    job_cutoff = now - timedelta(hours=settings.IMPORT_JOB_FILE_MAX_AGE_HOURS)
    finished = (
        ImportJob.objects.filter(
            status__in=(ImportJob.Status.DONE, ImportJob.Status.FAILED),
            finished_at__lt=job_cutoff,
        )
        .exclude(file="")
        .only("id", "file", "photos")
    )
    deleted_sheets = 0
    for job in finished.iterator(chunk_size=200):
        _delete_quietly(job.file.storage, job.file.name)
        if job.photos:
            _delete_quietly(job.photos.storage, job.photos.name)
        # Conditional: a job re-run meanwhile keeps the file it now reads.
        deleted_sheets += ImportJob.objects.filter(
            pk=job.pk, file=job.file.name, finished_at__lt=job_cutoff
        ).update(file="", photos="")
    # A background preview nobody confirmed in time: the same age as an upload's preview.
    ImportJob.objects.filter(
        status=ImportJob.Status.PREVIEWED, created_at__lt=preview_cutoff
    ).update(
        status=ImportJob.Status.FAILED,
        finished_at=now - timedelta(hours=settings.IMPORT_JOB_FILE_MAX_AGE_HOURS + 1),
        errors=[{"line": None, "message": _("This preview expired: upload the file again.")}],
    )
    if deleted_previews or deleted_sheets:
        logger.info(
            "import files sweep: %d previews, %d parsed sheets deleted",
            deleted_previews,
            deleted_sheets,
        )
    return {"previews": deleted_previews, "sheets": deleted_sheets}
