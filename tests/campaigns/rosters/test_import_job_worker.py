"""A big admin import runs in a real Celery worker: the job is enqueued after commit,
reports progress, writes all rows, and a redelivered task changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ambassadors.models import Ambassador
from campaigns.models import ImportJob
from campaigns.tasks import import_job_run
from tests.celery_worker import celery_worker, wait_for_result, wait_until  # noqa: F401
from tests.factories import SchoolFactory, UserFactory
from tests.spreadsheet_files import ambassador_rows, xlsx


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_big_import_runs_in_a_real_worker(client, settings, celery_worker):  # noqa: F811
    settings.IMPORT_ASYNC_ROW_THRESHOLD = 100
    school = SchoolFactory(name="复旦大学", slug="fudan")
    client.force_login(UserFactory(username="ops-worker", role="staff"))
    preview = client.post(
        reverse("admin:ambassadors_ambassador_import"),
        {
            "format": "0",
            "resource": "0",
            "school": school.pk,
            "import_file": SimpleUploadedFile("big.xlsx", xlsx(ambassador_rows(1200))),
        },
    )
    form = preview.context["confirm_form"]
    data = {k: "" if form[k].value() is None else form[k].value() for k in form.fields}
    response = client.post(reverse("admin:ambassadors_ambassador_process_import"), data)
    assert response.status_code == 302

    job = wait_until(
        ImportJob.objects.filter(status=ImportJob.Status.DONE).first,
        worker=celery_worker,
        what="the finished import job",
    )
    assert (job.progress, job.new, job.total_rows) == (100, 1200, 1200)
    assert Ambassador.objects.filter(school=school).count() == 1200

    again = import_job_run.apply_async((job.pk,), ignore_result=False)
    assert wait_for_result(again, worker=celery_worker) == "done"
    assert Ambassador.objects.filter(school=school).count() == 1200
