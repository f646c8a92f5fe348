"""A big preview runs as a background job with progress (campaigns/rosters/previews.py):
the request returns at once, the job checks every row, and a checked preview is
confirmed from its page into the ordinary import job."""

import functools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ambassadors.models import Ambassador
from campaigns.models import ImportJob
from campaigns.rosters.previews import import_preview_job_execute
from campaigns.rosters.service import import_job_execute
from tests.campaigns.rosters.test_admin import IMPORT_URL, upload
from tests.celery_worker import celery_worker, wait_until  # noqa: F401
from tests.factories import AmbassadorFactory, CampaignFactory, SchoolFactory, UserFactory
from tests.helpers import page_says
from tests.spreadsheet_files import ambassador_rows, csv_bytes, photos_zip, roster_snapshot, xlsx
from voting.models import Entry

pytestmark = pytest.mark.django_db


def job_page(job):
    return reverse("admin:campaigns_importjob_change", args=[job.pk])


def confirm_url(job):
    return reverse("admin:campaigns_importjob_confirm", args=[job.pk])


def tasks_of(callbacks) -> list[str]:
    return [c.func.__self__.name for c in callbacks if isinstance(c, functools.partial)]


def test_a_big_preview_is_a_job_then_confirmed_into_an_import(
    ambassador_client, ambassador_user, school_a, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_ASYNC_PREVIEW_ROW_THRESHOLD = 10
    before = roster_snapshot()
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(ambassador_client, xlsx(ambassador_rows(25, pay=False)), school_a)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == job_page(job)
    assert tasks_of(callbacks) == ["campaigns.tasks.import_preview_run"]
    assert (job.status, job.total_rows, job.created_by) == ("previewing", 25, ambassador_user)
    assert roster_snapshot() == before
    assert job.file.name.endswith(".ambassadors.sheet.json")

    job = import_preview_job_execute(job_id=job.pk)  # what the task runs
    assert (job.status, job.progress, job.new) == ("previewed", 100, 25)
    assert roster_snapshot() == before  # a preview writes nothing
    page = ambassador_client.get(job_page(job))
    assert b'data-testid="confirm-import"' in page.content
    assert b'<progress max="100" value="100"' in page.content

    with django_capture_on_commit_callbacks() as callbacks:
        response = ambassador_client.post(confirm_url(job))
    assert response.status_code == 302
    assert tasks_of(callbacks) == ["campaigns.tasks.import_job_run"]
    job.refresh_from_db()
    assert job.status == "queued"
    with django_capture_on_commit_callbacks() as callbacks:  # a double click
        again = ambassador_client.post(confirm_url(job), follow=True)
    assert tasks_of(callbacks) == []
    assert page_says(again, "Only a checked preview you started can be confirmed, once.")

    job = import_job_execute(job_id=job.pk)
    assert (job.status, job.new) == ("done", 25)
    assert Ambassador.objects.filter(school=school_a).count() == 1 + 25


def test_a_big_preview_with_bad_rows_fails_with_its_report(ambassador_client, school_a, settings):
    settings.IMPORT_ASYNC_PREVIEW_ROW_THRESHOLD = 3
    rows = ambassador_rows(5, pay=False)
    rows[3][2] = "not a phone"
    upload(ambassador_client, csv_bytes(rows), school_a, name="team.csv")
    job = import_preview_job_execute(job_id=ImportJob.objects.get().pk)
    assert job.status == "failed"
    assert [e["line"] for e in job.errors] == [4]
    page = ambassador_client.get(job_page(job))
    assert b"confirm-import" not in page.content
    assert ambassador_client.post(confirm_url(job)).status_code == 302
    job.refresh_from_db()
    assert job.status == "failed"


def test_a_preview_job_is_never_imported_unconfirmed(ambassador_client, school_a, settings):
    settings.IMPORT_ASYNC_PREVIEW_ROW_THRESHOLD = 3
    upload(ambassador_client, xlsx(ambassador_rows(5, pay=False)), school_a)
    job = ImportJob.objects.get()
    before = roster_snapshot()
    # A stray import task for a preview (a replayed message) does nothing.
    assert import_job_execute(job_id=job.pk).status == "previewing"
    import_preview_job_execute(job_id=job.pk)
    assert import_job_execute(job_id=job.pk).status == "previewed"
    assert roster_snapshot() == before


def test_only_the_starter_or_staff_confirm(ambassador_client, school_a, school_b, settings):
    settings.IMPORT_ASYNC_PREVIEW_ROW_THRESHOLD = 3
    upload(ambassador_client, xlsx(ambassador_rows(5, pay=False)), school_a)
    job = import_preview_job_execute(job_id=ImportJob.objects.get().pk)

    colleague = UserFactory(username="intern-a2", role="ambassador")
    AmbassadorFactory(school=school_a, user=colleague)
    other_school = UserFactory(username="intern-b", role="ambassador")
    AmbassadorFactory(school=school_b, user=other_school)
    for user, status in ((other_school, 403), (colleague, 302)):
        client = Client()
        client.force_login(user)
        assert client.post(confirm_url(job)).status_code == status
        job.refresh_from_db()
        assert job.status == "previewed"
    staff = Client()
    staff.force_login(UserFactory(username="ops2", role="staff"))
    staff.post(confirm_url(job))
    job.refresh_from_db()
    assert job.status == "queued"


def test_a_big_photo_zip_is_previewed_in_the_background_and_kept_for_the_import(
    ambassador_client, school_a, settings
):
    settings.IMPORT_ASYNC_PREVIEW_PHOTOS = 1
    campaign = CampaignFactory(pilot__school=school_a)
    rows = [["姓名", "学号", "照片"], ["陈一", "0001", "a.jpg"], ["林二", "0002", "b.jpg"]]
    response = ambassador_client.post(
        reverse("admin:voting_entry_import"),
        {
            "format": "0",
            "resource": "0",
            "campaign": campaign.pk,
            "import_file": SimpleUploadedFile("c.csv", csv_bytes(rows)),
            "photos": SimpleUploadedFile("p.zip", photos_zip(["a.jpg", "b.jpg"])),
        },
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.photos
    job = import_preview_job_execute(job_id=job.pk)
    assert (job.status, job.new) == ("previewed", 2), job.errors
    ambassador_client.post(confirm_url(job))
    job = import_job_execute(job_id=job.pk)
    assert job.status == "done", job.errors
    assert Entry.objects.filter(campaign=campaign).exclude(photo="").count() == 2


def test_a_small_preview_stays_in_the_request(ambassador_client, school_a):
    response = upload(ambassador_client, xlsx(ambassador_rows(3, pay=False)), school_a)
    assert response.status_code == 200 and "confirm_form" in response.context
    assert not ImportJob.objects.exists()
    assert IMPORT_URL


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_big_preview_runs_in_a_real_worker(client, settings, celery_worker):  # noqa: F811
    settings.IMPORT_ASYNC_PREVIEW_ROW_THRESHOLD = 100
    school = SchoolFactory(name="复旦大学", slug="fudan")
    client.force_login(UserFactory(username="ops-worker", role="staff"))
    upload(client, xlsx(ambassador_rows(600)), school)
    job = wait_until(
        ImportJob.objects.filter(status=ImportJob.Status.PREVIEWED).first,
        worker=celery_worker,
        what="the checked preview",
    )
    assert (job.progress, job.new, job.total_rows) == (100, 600, 600)
    assert not Ambassador.objects.filter(school=school).exists()
    client.post(confirm_url(job))
    wait_until(
        ImportJob.objects.filter(status=ImportJob.Status.DONE).first,
        worker=celery_worker,
        what="the import",
    )
    assert Ambassador.objects.filter(school=school).count() == 600
