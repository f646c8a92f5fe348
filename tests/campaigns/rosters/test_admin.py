"""The admin import flow: upload → preview (dry run, writes nothing) → confirm → rows
written and audited; scope, permissions, the bad-row report and background jobs."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from ambassadors.models import Ambassador
from campaigns.models import AuditLog, ImportJob
from campaigns.rosters.service import import_job_execute
from core.spreadsheets.stash import sheet_from_upload, stash_dumps
from tests.factories import UserFactory
from tests.helpers import page_text
from tests.spreadsheet_files import ambassador_rows, csv_bytes, roster_snapshot, xlsx

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:ambassadors_ambassador_import")
CONFIRM_URL = reverse("admin:ambassadors_ambassador_process_import")


def upload(client, data: bytes, school, name="team.xlsx", url=IMPORT_URL, **extra):
    return client.post(
        url,
        {
            "format": "0",
            "resource": "0",
            "school": school.pk,
            "import_file": SimpleUploadedFile(name, data),
            **extra,
        },
    )


def confirm_data(preview) -> dict:
    return form_data(preview.context["confirm_form"])


def form_data(form) -> dict:
    """What the browser posts back: the rendered (hidden) fields' values."""
    return {name: "" if form[name].value() is None else form[name].value() for name in form.fields}


def test_upload_preview_confirm_audit(
    ambassador_client, ambassador_user, school_a, django_capture_on_commit_callbacks
):
    before = roster_snapshot()
    with django_capture_on_commit_callbacks() as callbacks:
        preview = upload(ambassador_client, xlsx(ambassador_rows(3, pay=False)), school_a)
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.problems
    assert result.totals["new"] == 3
    assert "新增 3 条，更新 0 条，未变 0 条" in preview.content.decode()  # zh-hans, the default
    # The preview is a dry run: nothing written, nothing scheduled.
    assert roster_snapshot() == before
    assert callbacks == []

    response = ambassador_client.post(CONFIRM_URL, confirm_data(preview))
    assert response.status_code == 302
    assert Ambassador.objects.filter(school=school_a).count() == 1 + 3  # the intern + 3
    log = AuditLog.objects.get(action="import.ambassadors")
    assert log.actor == ambassador_user
    assert log.school == school_a
    assert log.data["file"] == "team.xlsx" and log.data["new"] == 3


def test_preview_lists_every_bad_row_and_offers_the_report(ambassador_client, school_a):
    rows = ambassador_rows(4, pay=False)
    rows[2][2] = "110"
    rows[4][1] = ""
    before = roster_snapshot()
    preview = upload(ambassador_client, csv_bytes(rows, "gbk"), school_a, name="team.csv")
    body = preview.content.decode()
    row_3, row_5 = (page_text(preview, "row %(n)s", n=n) for n in (3, 5))
    assert escape(f"{row_3}: 手机号:") in body
    assert escape(f"{row_5}: 学号: {page_text(preview, 'required')}") in body
    assert "confirm_form" not in preview.context or not preview.context["confirm_form"]
    assert roster_snapshot() == before

    form = preview.context["report_form"]
    report = ambassador_client.post(
        reverse("admin:ambassadors_ambassador_import_report"),
        form_data(form),
    )
    assert report.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(report.content)).active
    rows_out = list(sheet.iter_rows(values_only=True))
    # The file's own headers in its own order, then the reason and the original row.
    width = len(rows[0])
    assert list(rows_out[0][:width]) == rows[0]
    assert rows_out[0][width:] == (
        page_text(report, "reason (ignored on import)"),
        page_text(report, "original row (ignored on import)"),
    )
    assert [r[-1] for r in rows_out[1:]] == [3, 5]
    # Each bad row's cells as uploaded, under their own headers (nothing shifted).
    assert [str(v) if v is not None else "" for v in rows_out[1][:width]] == [
        str(v) if v is not None else "" for v in rows[2]
    ]
    assert rows_out[2][1] is None and rows_out[2][0] == rows[4][0]


def test_unreadable_file_is_a_form_error(ambassador_client, school_a):
    response = upload(ambassador_client, b"\x89PNG\r\n\x1a\n\x00\x00", school_a)
    assert response.status_code == 200
    not_a_spreadsheet = page_text(response, "The file is not a spreadsheet (XLSX, XLS or CSV).")
    assert not_a_spreadsheet in response.context["form"].errors["import_file"]


def test_headers_only_is_a_form_error(ambassador_client, school_a):
    response = upload(ambassador_client, xlsx([ambassador_rows(0, pay=False)[0]]), school_a)
    assert response.context["form"].errors


def test_intern_cannot_choose_another_school(ambassador_client, school_a, school_b):
    page = ambassador_client.get(IMPORT_URL)
    assert list(page.context["form"].fields["school"].queryset) == [school_a]
    before = roster_snapshot()
    rows = ambassador_rows(2, school="同济大学", pay=False)
    response = upload(ambassador_client, xlsx(rows), school_b)
    assert "school" in response.context["form"].errors
    assert roster_snapshot() == before


def test_intern_cannot_redirect_the_confirm_to_another_school(
    ambassador_client, school_a, school_b
):
    preview = upload(ambassador_client, xlsx(ambassador_rows(2, pay=False)), school_a)
    data = confirm_data(preview)
    data["school"] = school_b.pk  # a tampered hidden field
    before = roster_snapshot()
    response = ambassador_client.post(CONFIRM_URL, data)
    assert response.status_code == 200  # the confirm form again, with its errors
    assert "school" in response.context["confirm_form"].errors
    assert roster_snapshot() == before
    assert not Ambassador.objects.filter(school=school_b).exists()


def test_row_naming_another_school_is_an_error_in_admin(ambassador_client, school_a):
    rows = ambassador_rows(2, pay=False)
    rows[1][3] = "同济大学"
    preview = upload(ambassador_client, xlsx(rows), school_a)
    not_yours = page_text(
        preview,
        "%(named)s is not your school (%(school)s); you can only import into your own school",
        named="同济大学",
        school="复旦大学",
    )
    row_2 = page_text(preview, "row %(n)s", n=2)
    assert escape(f"{row_2}: 学校: {not_yours}") in preview.content.decode()


def test_staff_user_without_permissions_cannot_import_or_export(client, school_a):
    # django-import-export is open to any staff user by default (#608, #820).
    nobody = UserFactory(username="nobody")  # is_staff, no group, no permission
    client.force_login(nobody)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(reverse("admin:ambassadors_ambassador_export")).status_code == 403
    before = roster_snapshot()
    upload(client, xlsx(ambassador_rows(2)), school_a)
    assert roster_snapshot() == before


def test_view_permission_alone_exports_but_does_not_import(client, school_a):
    viewer = UserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_ambassador"))
    client.force_login(viewer)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(reverse("admin:ambassadors_ambassador_export")).status_code == 200


def test_interns_cannot_import_votes_or_voters(ambassador_client):
    for name in ("voting_vote", "voting_voter"):
        assert ambassador_client.get(reverse(f"admin:{name}_export")).status_code == 403


def test_changelist_shows_import_and_export_buttons(ambassador_client):
    body = ambassador_client.get(reverse("admin:ambassadors_ambassador_changelist")).content
    assert IMPORT_URL.encode() in body
    assert reverse("admin:ambassadors_ambassador_export").encode() in body


# --- big files run as a background job -------------------------------------------------


def test_big_file_becomes_a_background_job(
    ops_client, ops_user, school_a, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_ASYNC_ROW_THRESHOLD = 10
    with django_capture_on_commit_callbacks() as callbacks:
        preview = upload(ops_client, xlsx(ambassador_rows(25)), school_a)
    assert callbacks == []  # the preview schedules nothing
    before = roster_snapshot()
    with django_capture_on_commit_callbacks() as callbacks:
        response = ops_client.post(CONFIRM_URL, confirm_data(preview))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:campaigns_importjob_change", args=[job.pk])
    assert len(callbacks) == 1  # the task, enqueued after commit
    assert roster_snapshot() == before  # nothing imported yet
    assert (job.status, job.total_rows, job.created_by) == ("queued", 25, ops_user)

    import_job_execute(job_id=job.pk)  # what the task runs
    job.refresh_from_db()
    assert (job.status, job.progress, job.new) == ("done", 100, 25)
    assert Ambassador.objects.filter(school=school_a).count() == 25
    assert AuditLog.objects.filter(action="import.ambassadors").count() == 1
    page = ops_client.get(reverse("admin:campaigns_importjob_change", args=[job.pk]))
    assert b'<progress max="100" value="100"' in page.content

    import_job_execute(job_id=job.pk)  # a redelivered task changes nothing
    assert Ambassador.objects.filter(school=school_a).count() == 25


def test_failed_job_keeps_its_bad_row_report(
    ambassador_client, ambassador_user, school_a, settings
):
    settings.IMPORT_ASYNC_ROW_THRESHOLD = 2
    preview = upload(ambassador_client, xlsx(ambassador_rows(5, pay=False)), school_a)
    ambassador_client.post(CONFIRM_URL, confirm_data(preview))
    job = ImportJob.objects.get()
    # The job re-checks every row when it runs; give it a stored sheet with a bad one.
    with job.file.open("rb") as handle:
        sheet = sheet_from_upload(handle.read())
    sheet.rows[1][1][2] = "not a phone"
    job.file.save("edited.json", ContentFile(stash_dumps(sheet)), save=True)

    before = roster_snapshot()
    import_job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.errors[0]["line"] == 3
    assert roster_snapshot() == before
    report = ambassador_client.get(reverse("admin:campaigns_importjob_report", args=[job.pk]))
    assert report.status_code == 200
    rows = list(
        openpyxl.load_workbook(io.BytesIO(report.content)).active.iter_rows(values_only=True)
    )
    assert rows[1][-1] == 3
    assert rows[1][2] == "not a phone"  # under 手机号, as in the file


def test_interns_see_only_their_school_jobs(
    ambassador_client, ops_user, school_a, school_b, settings
):
    settings.IMPORT_ASYNC_ROW_THRESHOLD = 2
    ops_client = Client()  # the client fixture is the intern's
    ops_client.force_login(ops_user)
    preview = upload(ops_client, xlsx(ambassador_rows(5, school="同济大学")), school_b)
    ops_client.post(CONFIRM_URL, confirm_data(preview))
    job = ImportJob.objects.get()
    listing = ambassador_client.get(reverse("admin:campaigns_importjob_changelist"))
    assert list(listing.context["cl"].result_list) == []
    assert ambassador_client.get(
        reverse("admin:campaigns_importjob_change", args=[job.pk])
    ).status_code in (302, 403)
    assert (
        ambassador_client.get(
            reverse("admin:campaigns_importjob_report", args=[job.pk])
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    "model", ["ambassadors_ambassador", "ambassadors_worklog", "campaigns_expense", "voting_entry"]
)
def test_import_and_export_pages_open_for_interns(ambassador_client, model):
    for view in ("import", "export"):
        assert ambassador_client.get(reverse(f"admin:{model}_{view}")).status_code == 200
