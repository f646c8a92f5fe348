"""Private files (docs/files.md): nothing but approved entries' images in the public
media folder; every other stored file only through the file view, after the admin's
permission and school checks, with headers that keep a browser from rendering it."""

from __future__ import annotations

import importlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import models
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.static import serve

from campaigns.models import ImportJob
from campaigns.rosters.cleanup import import_files_sweep
from campaigns.views import PRIVATE_FILE_FIELDS
from core.storage import PrivateStorage, private_file_url
from tests.campaigns.rosters.test_admin import upload
from tests.factories import CampaignFactory, EntryFactory, ExpenseFactory
from tests.spreadsheet_files import ambassador_rows, xlsx
from tests.voting import image_corpus as corpus
from voting.models import Entry
from voting.services.entries import entry_moderate
from voting.services.photos import entry_derivatives_generate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.SENDFILE_ROOT = str(settings.PRIVATE_MEDIA_ROOT)


def public_files(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def served_publicly(settings, name: str) -> bool:
    """What the web server in front of MEDIA_ROOT (or Django's static view in debug)
    would answer for /media/<name>."""
    try:
        serve(RequestFactory().get(f"/media/{name}"), name, document_root=settings.MEDIA_ROOT)
    except Http404:
        return False
    return True


def with_receipt(expense, data: bytes, name: str):
    expense.receipt.save(name, ContentFile(data), save=True)
    return expense


@pytest.fixture
def entry_with_photo(school_a):
    entry = EntryFactory(campaign=CampaignFactory(pilot__school=school_a), status="pending")
    photo = corpus.encode(corpus.halves((600, 400)), "JPEG")
    entry.photo.save("c1-secret.jpg", ContentFile(photo), save=True)
    entry_derivatives_generate(entry_id=entry.pk)
    entry.refresh_from_db()
    return entry


# --- What is where ---------------------------------------------------------------------


def test_every_file_field_is_private():
    fields = [
        f"{model._meta.label_lower}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]
    assert fields
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                assert isinstance(field.storage, PrivateStorage), field
    assert isinstance(storages["import_export"], PrivateStorage)


def test_the_file_view_registry_names_real_file_fields():
    for label, fields in PRIVATE_FILE_FIELDS.items():
        model = apps.get_model(label)
        for name in fields:
            assert isinstance(model._meta.get_field(name), models.FileField), (label, name)


def test_previews_and_import_jobs_are_private_with_unguessable_names(
    ambassador_client, school_a, settings
):
    settings.IMPORT_ASYNC_ROW_THRESHOLD = 2
    preview = upload(ambassador_client, xlsx(ambassador_rows(5, pay=False)), school_a)
    stash = preview.context["confirm_form"]["import_file_name"].value()
    assert (Path(settings.PRIVATE_MEDIA_ROOT) / "django-import-export" / stash).is_file()
    from tests.campaigns.rosters.test_admin import CONFIRM_URL, confirm_data

    ambassador_client.post(CONFIRM_URL, confirm_data(preview))
    job = ImportJob.objects.get()
    assert job.file.name.startswith("imports/") and "ambassadors.sheet.json" in job.file.name
    assert len(job.file.name.split("/")[-1]) > len("ambassadors.sheet.json") + 30  # a token
    assert (Path(settings.PRIVATE_MEDIA_ROOT) / job.file.name).is_file()
    assert public_files(settings) == set()
    for name in (f"django-import-export/{stash}", job.file.name):
        assert not served_publicly(settings, name)


# --- Anonymous and out-of-scope readers --------------------------------------------------


def test_anonymous_get_of_every_private_kind_is_404(entry_with_photo, settings, school_a):
    expense = with_receipt(ExpenseFactory(pilot__school=school_a), b"%PDF-1.4\n%%EOF", "r.pdf")
    entry = entry_with_photo
    urls = [private_file_url(expense.receipt)]
    urls += [private_file_url(getattr(entry, f)) for f in ("photo", "thumbnail", "preview")]
    anonymous = Client()
    for url in urls:
        assert anonymous.get(url).status_code == 404, url
    # Nor through the public media folder: the files are not there.
    names = [expense.receipt.name, entry.photo.name, entry.thumbnail.name, entry.preview.name]
    for name in names:
        assert not served_publicly(settings, name), name
    assert public_files(settings) == set()
    # Exports are never stored; their admin views ask an anonymous reader to log in.
    export = anonymous.get(reverse("admin:campaigns_expense_export"))
    assert export.status_code == 302 and "/login/" in export.url


def test_another_schools_intern_gets_404(entry_with_photo, school_b, client):
    from tests.factories import AmbassadorFactory, UserFactory

    user = UserFactory(username="intern-b", role="ambassador")
    AmbassadorFactory(school=school_b, user=user)
    client.force_login(user)
    assert client.get(private_file_url(entry_with_photo.photo)).status_code == 404


def test_tampered_urls_are_404(ambassador_client, entry_with_photo):
    entry = entry_with_photo
    good = private_file_url(entry.photo)
    assert ambassador_client.get(good).status_code == 200
    base = f"/files/voting.entry/{entry.pk}"
    for url in (
        f"{base}/photo/other.jpg",  # not the stored name
        f"{base}/share_code/x",  # not a file field
        "/files/auth.user/1/password/x",  # not a registered model
        f"/files/voting.entry/{entry.pk}/photo/..%2F..%2Fsecret_key",
        "/files/voting.entry/999999/photo/x.jpg",
    ):
        assert ambassador_client.get(url).status_code == 404, url


# --- Headers ---------------------------------------------------------------------------


def test_a_photo_is_inline_jpeg_never_sniffed(ambassador_client, entry_with_photo):
    response = ambassador_client.get(private_file_url(entry_with_photo.photo))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "private" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    "name, data, content_type",
    [
        ("r.pdf", b"%PDF-1.4\n%%EOF", "application/pdf"),
        # A receipt stored before uploads were checked (moved by the migration).
        ("legacy.bin", corpus.HTML, "application/octet-stream"),
        ("legacy.svg", corpus.SVG, "application/octet-stream"),
    ],
)
def test_anything_but_a_jpeg_is_an_attachment(
    ambassador_client, school_a, name, data, content_type
):
    expense = with_receipt(ExpenseFactory(pilot__school=school_a), data, name)
    response = ambassador_client.get(private_file_url(expense.receipt))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_production_hands_the_file_to_nginx(ambassador_client, entry_with_photo, settings):
    import django_sendfile.utils

    settings.SENDFILE_BACKEND = "django_sendfile.backends.nginx"
    django_sendfile.utils._get_sendfile.cache_clear()
    try:
        response = ambassador_client.get(private_file_url(entry_with_photo.photo))
    finally:
        django_sendfile.utils._get_sendfile.cache_clear()
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/private-media/{entry_with_photo.photo.name}"
    assert response.content == b""
    assert response["X-Content-Type-Options"] == "nosniff"


# --- Approval publishes, rejection withdraws ----------------------------------------------


@pytest.mark.parametrize("status", ["rejected", "disqualified", "pending"])
def test_approving_publishes_and_leaving_approval_withdraws(
    entry_with_photo, settings, status, django_capture_on_commit_callbacks
):
    entry = entry_with_photo
    names = {entry.photo.name, entry.thumbnail.name, entry.preview.name}
    assert public_files(settings) == set()
    with django_capture_on_commit_callbacks(execute=True):
        entry_moderate(entry_ids=[entry.pk], status=Entry.Status.APPROVED)
    assert names <= public_files(settings)
    assert all(served_publicly(settings, name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        entry_moderate(entry_ids=[entry.pk], status=status)
    assert public_files(settings) == set()
    # The private copies stay, for moderation.
    assert all((Path(settings.PRIVATE_MEDIA_ROOT) / n).is_file() for n in names)


def test_the_api_links_the_public_copies(
    entry_with_photo, settings, django_capture_on_commit_callbacks
):
    from voting.api.serializers import EntrySerializer

    entry = entry_with_photo
    with django_capture_on_commit_callbacks(execute=True):
        entry_moderate(entry_ids=[entry.pk], status=Entry.Status.APPROVED)
    entry.refresh_from_db()
    data = EntrySerializer(entry, context={}).data
    for key, field in (("photo_url", "photo"), ("thumbnail_url", "thumbnail")):
        assert data[key] == f"/media/{getattr(entry, field).name}"
        assert served_publicly(settings, getattr(entry, field).name)


def test_a_thumbnail_drawn_after_approval_is_published(
    school_a, settings, django_capture_on_commit_callbacks
):
    entry = EntryFactory(campaign=CampaignFactory(pilot__school=school_a), status="approved")
    entry.photo.save("c1-x.jpg", ContentFile(corpus.encode(corpus.noisy(), "JPEG")), save=True)
    with django_capture_on_commit_callbacks(execute=True):
        entry_derivatives_generate(entry_id=entry.pk)
    entry.refresh_from_db()
    assert {entry.thumbnail.name, entry.preview.name} <= public_files(settings)


def test_replacing_an_approved_photo_in_admin_withdraws_the_old_one(
    ops_client, entry_with_photo, settings, django_capture_on_commit_callbacks
):
    entry = entry_with_photo
    with django_capture_on_commit_callbacks(execute=True):
        entry_moderate(entry_ids=[entry.pk], status=Entry.Status.APPROVED)
    old = entry.photo.name
    assert old in public_files(settings)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "campaign": entry.campaign_id,
        "round": entry.round_id,
        "name": entry.name,
        "student_id": entry.student_id,
        "caption": "",
        "status": "approved",
        "photo": SimpleUploadedFile("new.jpg", corpus.encode(corpus.noisy(), "JPEG")),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(reverse("admin:voting_entry_change", args=[entry.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry.refresh_from_db()
    assert old not in public_files(settings)
    assert entry.photo.name in public_files(settings)


# --- The sweep --------------------------------------------------------------------------


def test_the_sweep_deletes_old_previews_and_finished_jobs_sheets(settings, school_a):
    previews = storages["import_export"]
    old, fresh = "a" * 32, "b" * 32
    for name in (old, fresh, "not-ours.txt"):
        previews.save(f"django-import-export/{name}", ContentFile(b"x"))
    later = timezone.now() + timedelta(hours=settings.IMPORT_PREVIEW_MAX_AGE_HOURS, minutes=5)
    # "fresh" is touched just before the sweep: younger than the age limit.
    import os

    path = Path(previews.path(f"django-import-export/{fresh}"))
    os.utime(path, (later.timestamp(), later.timestamp()))

    def job(status, finished_hours_ago):
        j = ImportJob(kind="ambassadors", school=school_a, file_name="t.xlsx", status=status)
        j.file.save("s.json", ContentFile(b"{}"), save=False)
        j.finished_at = (
            later - timedelta(hours=finished_hours_ago) if finished_hours_ago is not None else None
        )
        j.save()
        return j

    done_long_ago = job("done", settings.IMPORT_JOB_FILE_MAX_AGE_HOURS + 1)
    failed_just_now = job("failed", 1)
    running = job("validating", None)

    assert import_files_sweep(now=later) == {"previews": 1, "sheets": 1}
    assert not previews.exists(f"django-import-export/{old}")
    assert previews.exists(f"django-import-export/{fresh}")
    assert previews.exists("django-import-export/not-ours.txt")
    for j in (done_long_ago, failed_just_now, running):
        j.refresh_from_db()
    assert done_long_ago.file.name == ""
    assert failed_just_now.file and running.file
    assert import_files_sweep(now=later) == {"previews": 0, "sheets": 0}  # twice: no-op


def test_the_sweep_is_scheduled_by_beat():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="campaigns.tasks.import_files_sweep")
    assert task.enabled and task.interval.every == 1 and task.interval.period == "hours"
    import_string("campaigns.tasks.import_files_sweep")


# --- The migration moving existing files --------------------------------------------------


def _put(root, name: str, data: bytes = b"x") -> None:
    path = Path(root) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_the_migrations_move_existing_files_out_of_the_public_folder(settings, school_a):
    campaign = CampaignFactory(pilot__school=school_a)
    expense = ExpenseFactory(pilot=campaign.pilot)
    approved = EntryFactory(campaign=campaign, status="approved", student_id="1")
    pending = EntryFactory(campaign=campaign, status="pending", student_id="2")
    job = ImportJob.objects.create(
        kind="ambassadors",
        school=school_a,
        file_name="t",
        file="imports/2026/01/ambassadors.sheet.json",
    )
    # As the old code stored them: everything under MEDIA_ROOT, the uploader's names.
    type(expense).objects.filter(pk=expense.pk).update(receipt="receipts/2026/01/invoice.html")
    Entry.objects.filter(pk=approved.pk).update(photo="entries/2026/01/a.jpg")
    Entry.objects.filter(pk=pending.pk).update(
        photo="entries/2026/01/p.jpg", thumbnail="entries/thumbs/p-480.jpg"
    )
    media = settings.MEDIA_ROOT
    for name in (
        "receipts/2026/01/invoice.html",
        "entries/2026/01/a.jpg",
        "entries/2026/01/p.jpg",
        "entries/thumbs/p-480.jpg",
        job.file.name,
        "django-import-export/" + "c" * 32,
    ):
        _put(media, name)

    campaigns_move = importlib.import_module("campaigns.migrations.0007_move_private_files")
    voting_move = importlib.import_module("voting.migrations.0012_move_entry_files_to_private")
    for _ in range(2):  # a re-run changes nothing
        campaigns_move.to_private(apps, None)
        voting_move.to_private(apps, None)

    expense.refresh_from_db()
    assert expense.receipt.name.startswith("receipts/2026/01/")
    assert expense.receipt.name.endswith(".bin") and "invoice" not in expense.receipt.name
    private = Path(settings.PRIVATE_MEDIA_ROOT)
    assert (private / expense.receipt.name).read_bytes() == b"x"
    assert public_files(settings) == {"entries/2026/01/a.jpg"}  # the approved photo only
    for name in (
        "entries/2026/01/a.jpg",
        "entries/2026/01/p.jpg",
        "entries/thumbs/p-480.jpg",
        job.file.name,
        "django-import-export/" + "c" * 32,
    ):
        assert (private / name).is_file(), name

    campaigns_move.to_public(apps, None)
    voting_move.to_public(apps, None)
    assert "entries/2026/01/p.jpg" in public_files(settings)
