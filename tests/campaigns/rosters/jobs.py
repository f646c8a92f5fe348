"""Import jobs made the way the admin's confirm step makes them, for the job tests."""

from django.db import transaction

from campaigns.models import ImportJob
from campaigns.rosters.pipeline import import_scope_build
from campaigns.rosters.service import import_job_create
from core.spreadsheets.stash import sheet_from_upload, sheet_to_dataset
from tests.spreadsheet_files import ambassador_rows, xlsx


def import_job_queue(*, user, school, rows: int = 300) -> ImportJob:
    """A queued ambassador import of ``rows`` rows, sent to a worker on commit."""
    sheet = sheet_from_upload(xlsx(ambassador_rows(rows)), file_name="big.xlsx")
    scope = import_scope_build(user=user, school=school)
    with transaction.atomic():
        return import_job_create(
            kind="ambassadors", dataset=sheet_to_dataset(sheet), file_name="big.xlsx", scope=scope
        )
