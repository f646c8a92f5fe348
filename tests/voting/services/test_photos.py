"""Thumbnails (list) and previews (detail): drawn by a task after commit, idempotent,
regenerated when missing or stale, and never a broken link in the API meanwhile."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from campaigns.models import Campaign
from config.settings import test as test_settings
from core.images import photo_ingest
from tests.celery_worker import wait_until
from tests.factories import CampaignFactory, EntryFactory, VoterFactory
from tests.voting import image_corpus as corpus
from tests.voting.image_corpus import assert_clean
from voting.models import Entry
from voting.services import photos as services_photos
from voting.services.entries import entry_submit
from voting.services.photos import (
    derivative_name,
    entry_derivatives_generate,
    entry_derivatives_stale,
    entry_media_check_campaign,
)
from voting.tasks import photos as tasks_photos

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]

URL = "/api/v1/campaigns/best-runner/entries/"


def store_photo(entry: Entry, image: Image.Image | None = None) -> Entry:
    image = image or corpus.halves((1600, 1000))
    stored = photo_ingest(io.BytesIO(corpus.encode(image, "JPEG")), stem=f"t{entry.pk}")
    entry.photo.save(stored.name, stored, save=True)
    return entry


@pytest.fixture
def shown(campaign):
    return store_photo(EntryFactory(campaign=campaign, name="小明"))


def read(field) -> bytes:
    with field.storage.open(field.name, "rb") as fp:
        return fp.read()


def test_generate_draws_both_sizes_clean_and_named_after_the_photo(shown, settings):
    assert entry_derivatives_generate(entry_id=shown.pk) == ["thumbnail", "preview"]
    shown.refresh_from_db()
    stem = shown.photo.name.rsplit("/", 1)[1].removesuffix(".jpg")
    assert shown.thumbnail.name == f"entries/thumbs/{stem}-480.jpg"
    assert shown.preview.name == f"entries/previews/{stem}-1280.jpg"
    thumb = assert_clean(read(shown.thumbnail))
    preview = assert_clean(read(shown.preview))
    assert thumb.size == (480, 300)
    assert preview.size == (1280, 800)


def test_a_small_photo_is_never_enlarged(campaign):
    entry = store_photo(EntryFactory(campaign=campaign), Image.new("RGB", (300, 200), "red"))
    entry_derivatives_generate(entry_id=entry.pk)
    entry.refresh_from_db()
    assert Image.open(io.BytesIO(read(entry.preview))).size == (300, 200)


def test_generating_twice_writes_nothing_the_second_time(shown):
    entry_derivatives_generate(entry_id=shown.pk)
    shown.refresh_from_db()
    storage = shown.thumbnail.storage
    before = {n: storage.get_modified_time(n) for n in (shown.thumbnail.name, shown.preview.name)}

    assert entry_derivatives_generate(entry_id=shown.pk) == []
    assert tasks_photos.entry_derivatives_generate.apply(args=[shown.pk]).get() == []

    after = {n: storage.get_modified_time(n) for n in before}
    assert after == before


def test_a_deleted_thumbnail_is_drawn_again(shown):
    entry_derivatives_generate(entry_id=shown.pk)
    shown.refresh_from_db()
    shown.thumbnail.storage.delete(shown.thumbnail.name)
    assert entry_derivatives_stale(shown) == []  # names alone cannot tell
    assert entry_derivatives_stale(shown, check_storage=True) == ["thumbnail"]

    assert entry_derivatives_generate(entry_id=shown.pk) == ["thumbnail"]
    assert shown.thumbnail.storage.exists(shown.thumbnail.name)


def test_a_new_size_setting_redraws_and_removes_the_old_file(
    shown, settings, django_capture_on_commit_callbacks
):
    entry_derivatives_generate(entry_id=shown.pk)
    shown.refresh_from_db()
    old = shown.thumbnail.name
    settings.PHOTO_THUMBNAIL_SIZE = 320
    with django_capture_on_commit_callbacks(execute=True):
        assert entry_derivatives_generate(entry_id=shown.pk) == ["thumbnail"]
    shown.refresh_from_db()
    assert shown.thumbnail.name.endswith("-320.jpg")
    assert not shown.thumbnail.storage.exists(old)
    assert max(Image.open(io.BytesIO(read(shown.thumbnail))).size) == 320


def test_a_photo_replaced_while_drawing_is_not_overwritten(shown, monkeypatch):
    real_open = services_photos.stored_photo_open

    def replaced_meanwhile(name, storage):
        image = real_open(name, storage)
        Entry.objects.filter(pk=shown.pk).update(photo="entries/other.jpg")
        return image

    monkeypatch.setattr(services_photos, "stored_photo_open", replaced_meanwhile)
    assert entry_derivatives_generate(entry_id=shown.pk) == []
    shown.refresh_from_db()
    assert shown.thumbnail.name == "" and shown.preview.name == ""


def test_a_gone_entry_is_a_no_op():
    assert tasks_photos.entry_derivatives_generate.apply(args=[987654]).get() == []


def test_thumbnails_without_a_photo_are_cleared(campaign, django_capture_on_commit_callbacks):
    entry = EntryFactory(campaign=campaign)
    entry.thumbnail.save("leftover.jpg", ContentFile(corpus.encode(corpus.halves(), "JPEG")))
    with django_capture_on_commit_callbacks(execute=True):
        assert entry_derivatives_generate(entry_id=entry.pk) == ["thumbnail"]
    entry.refresh_from_db()
    assert entry.thumbnail.name == ""


def test_a_damaged_stored_photo_is_logged_not_retried(shown, caplog):
    with shown.photo.storage.open(shown.photo.name, "wb") as fp:
        fp.write(b"garbage")
    assert entry_derivatives_generate(entry_id=shown.pk) == []
    assert "unusable" in caplog.text


# --- The API never links to a file that is not there ------------------------------------------


def test_api_falls_back_to_the_photo_and_reads_ask_for_nothing(
    api, shown, eager_tasks, django_capture_on_commit_callbacks
):
    # Reads do no work a task can do: the task that draws the thumbnails (and beat's
    # check, entry_media_check) looks after them, never a read.
    with django_capture_on_commit_callbacks() as callbacks:
        item = api.get(URL).json()["results"][0]
        api.get(f"{URL}{shown.pk}/")
    assert item["thumbnail_url"] == item["photo_url"] == item["preview_url"]
    assert callbacks == []

    # Once drawn (and committed), the next read, cached or not, links them.
    with django_capture_on_commit_callbacks(execute=True):
        entry_derivatives_generate(entry_id=shown.pk)
    for item in (api.get(f"{URL}{shown.pk}/").json(), api.get(URL).json()["results"][0]):
        assert item["thumbnail_url"].startswith("http://testserver/media/entries/thumbs/")
        assert item["preview_url"].startswith("http://testserver/media/entries/previews/")
        assert item["photo_url"].startswith("http://testserver/media/entries/")


def test_an_entry_without_a_photo_has_null_urls(api, campaign):
    EntryFactory(campaign=campaign)
    item = api.get(URL).json()["results"][0]
    assert item["photo_url"] is item["thumbnail_url"] is item["preview_url"] is None
    assert item["poster_url"].endswith(f"/entries/{item['id']}/poster/")


def test_submission_asks_for_thumbnails_after_commit(
    voter, campaign, eager_tasks, django_capture_on_commit_callbacks
):
    photo = io.BytesIO(corpus.encode(corpus.halves((800, 600)), "PNG"))
    with django_capture_on_commit_callbacks() as callbacks:
        entry = entry_submit(voter=voter, campaign=campaign, name="李雷", photo=photo)
    entry.refresh_from_db()
    assert entry.thumbnail.name == ""  # nothing drawn before commit
    assert len(callbacks) == 1
    callbacks[0]()
    entry.refresh_from_db()
    assert entry.thumbnail.name == derivative_name(entry, "thumbnail")


# --- The periodic check ------------------------------------------------------------------------


def test_periodic_check_asks_for_missing_thumbnails_and_posters(
    campaign, shown, monkeypatch, django_capture_on_commit_callbacks
):
    done = store_photo(EntryFactory(campaign=campaign, status=Entry.Status.PENDING))
    entry_derivatives_generate(entry_id=done.pk)
    EntryFactory(campaign=campaign, status=Entry.Status.REJECTED)  # no photo, no poster
    with django_capture_on_commit_callbacks() as callbacks:
        counts = entry_media_check_campaign(campaign_id=campaign.pk)
    # ``shown``: thumbnails and poster missing; ``done``: complete and not approved.
    assert counts == {"derivatives": 1, "posters": 1}
    assert len(callbacks) == 2


def test_periodic_fan_out_covers_draft_and_open_campaigns(monkeypatch):
    draft = CampaignFactory(status=Campaign.Status.DRAFT)
    opened = CampaignFactory(status=Campaign.Status.OPEN)
    CampaignFactory(status=Campaign.Status.CLOSED)
    sent = []
    monkeypatch.setattr(tasks_photos.entry_media_check_campaign, "delay", sent.append)
    assert tasks_photos.entry_media_check.apply().get() == 2
    assert sorted(sent) == sorted([draft.pk, opened.pk])


def test_the_check_is_scheduled_in_beat():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="voting.tasks_photos.entry_media_check")
    assert task.enabled and task.interval.every == 30


# --- In a real Celery worker -------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_thumbnails_are_drawn_by_a_real_worker_after_commit(celery_worker, settings):
    # The worker's media folder is the test settings' one, not api_env's temporary one.
    settings.MEDIA_ROOT = test_settings.MEDIA_ROOT
    settings.PRIVATE_MEDIA_ROOT = test_settings.PRIVATE_MEDIA_ROOT
    campaign = CampaignFactory(slug="best-runner")
    photo = io.BytesIO(corpus.encode(corpus.halves((900, 600)), "JPEG"))
    entry = entry_submit(voter=VoterFactory(), campaign=campaign, name="李雷", photo=photo)

    def drawn():
        entry.refresh_from_db()
        return entry.thumbnail.name and entry.preview.name

    wait_until(drawn, worker=celery_worker, what="the entry's thumbnails")
    assert entry.thumbnail.name == derivative_name(entry, "thumbnail")
    assert_clean(read(entry.thumbnail))
