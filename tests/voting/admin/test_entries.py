"""Photos and posters in the Entry admin: the same photo service as the API (a form
error for anything it refuses, nothing written), thumbnails in the list, posters drawn on
approval and downloadable from the change page."""

import functools
import io

import pytest
import zxingcpp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.storage import private_file_url
from tests.factories import CampaignFactory, EntryFactory
from tests.voting import image_corpus as corpus
from tests.voting.image_corpus import assert_clean
from tests.voting.services.test_photos import read, store_photo
from voting.models import Entry
from voting.services.photos import entry_derivatives_generate, poster_name, share_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]

ADD = "admin:voting_entry_add"


@pytest.fixture
def campaign(school_a):
    return CampaignFactory(pilot__school=school_a, slug="run-a")


def form_data(campaign, upload=None, **extra):
    data = {
        "campaign": campaign.pk,
        "round": campaign.rounds.get().pk,
        "name": "新选手",
        "student_id": "00123",
        "caption": "",
        "status": Entry.Status.PENDING,
    }
    if upload is not None:
        data["photo"] = upload
    return {**data, **extra}


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def media_files(settings) -> list:
    """Every stored file, public or private."""
    roots = [settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT]
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("maker", "message"),
    [
        (lambda: corpus.SCRIPT, "不是 JPEG、PNG 或 WebP"),
        (corpus.tiff, "不是 JPEG、PNG 或 WebP"),
        (corpus.psd, "不是 JPEG、PNG 或 WebP"),
        (lambda: corpus.bomb_png(20000), "像素过多"),
        (corpus.truncated_jpeg, "损坏"),
    ],
    ids=["script", "tiff", "psd", "bomb", "truncated"],
)
def test_a_refused_photo_is_a_form_error_and_nothing_is_written(
    ops_client, campaign, settings, maker, message
):
    response = ops_client.post(reverse(ADD), form_data(campaign, upload(maker())))
    assert response.status_code == 200  # the form again
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors["photo"])
    assert not Entry.objects.exists()
    assert media_files(settings) == []


def test_an_accepted_photo_is_stored_upright_without_gps_and_thumbnails_follow(
    ops_client, campaign, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = ops_client.post(reverse(ADD), form_data(campaign, upload(corpus.jpeg_rotated())))
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = Entry.objects.get()
    stored = assert_clean(read(entry.photo))
    assert stored.size == (20, 40)  # EXIF orientation 6 applied
    tasks = [c for c in callbacks if isinstance(c, functools.partial)]
    assert len(tasks) == 1  # the thumbnails' task
    entry.refresh_from_db()
    assert entry.thumbnail and entry.preview


def test_an_edit_without_a_new_photo_keeps_it(ops_client, campaign):
    entry = store_photo(EntryFactory(campaign=campaign, student_id="7"))
    before = entry.photo.name
    url = reverse("admin:voting_entry_change", args=[entry.pk])
    data = form_data(campaign, name="改名", student_id="7", status=Entry.Status.APPROVED)
    response = ops_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry.refresh_from_db()
    assert entry.photo.name == before and entry.name == "改名"


def test_approving_in_the_list_draws_the_poster(
    ops_client, campaign, eager_tasks, django_capture_on_commit_callbacks
):
    entry = store_photo(EntryFactory(campaign=campaign, status=Entry.Status.PENDING))
    with django_capture_on_commit_callbacks(execute=True):
        ops_client.post(
            reverse("admin:voting_entry_changelist"),
            {"action": "approve", "_selected_action": [entry.pk]},
        )
    entry.refresh_from_db()
    assert entry.status == Entry.Status.APPROVED
    assert entry.poster.name == poster_name(entry)


def test_list_shows_thumbnails(ops_client, campaign):
    entry = store_photo(EntryFactory(campaign=campaign, status=Entry.Status.PENDING))
    body = ops_client.get(reverse("admin:voting_entry_changelist")).content.decode()
    # Through the file view (a pending entry's files are private).
    assert private_file_url(entry.photo) in body  # no thumbnail yet: the photo
    entry_derivatives_generate(entry_id=entry.pk)
    entry.refresh_from_db()
    body = ops_client.get(reverse("admin:voting_entry_changelist")).content.decode()
    assert private_file_url(entry.thumbnail) in body


def test_poster_download_from_the_change_page(ops_client, campaign, settings):
    settings.SITE_URL = "https://campaigns.example.cn"
    entry = store_photo(EntryFactory(campaign=campaign))
    change = ops_client.get(reverse("admin:voting_entry_change", args=[entry.pk]))
    link = reverse("admin:voting_entry_poster", args=[entry.pk])
    assert link in change.content.decode()

    response = ops_client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment")
    data = b"".join(response.streaming_content)
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))
    assert [c.text for c in codes] == [share_url(entry.share_code)]


def test_no_poster_for_a_pending_entry(ops_client, campaign):
    entry = EntryFactory(campaign=campaign, status=Entry.Status.PENDING)
    response = ops_client.get(reverse("admin:voting_entry_poster", args=[entry.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:voting_entry_change", args=[entry.pk])


def test_an_intern_cannot_download_another_schools_poster(ambassador_client, school_b):
    other = EntryFactory(campaign=CampaignFactory(pilot__school=school_b))
    response = ambassador_client.get(reverse("admin:voting_entry_poster", args=[other.pk]))
    assert response.status_code in (403, 404)
    other.refresh_from_db()
    assert not other.poster


def test_an_entry_with_votes_cannot_move_to_another_campaign(ops_client, campaign, school_a):
    from tests.factories import VoterFactory
    from tests.helpers import page_says
    from voting.models import Vote
    from voting.services.votes import vote_cast

    entry = EntryFactory(campaign=campaign, status=Entry.Status.APPROVED)
    other = CampaignFactory(pilot__school=school_a, slug="run-b")
    change = reverse("admin:voting_entry_change", args=[entry.pk])
    moved = form_data(other, name=entry.name, status=entry.status)
    # Without votes it may move (a contestant filed under the wrong campaign)...
    response = ops_client.post(change, moved)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.campaign == other
    # ...with votes it stays, and the page says why; nothing is written.
    vote_cast(voter=VoterFactory(), entry=entry)
    response = ops_client.post(change, form_data(campaign, name=entry.name, status=entry.status))
    assert response.status_code == 200
    assert page_says(response, "This entry has votes in its campaign: it cannot move to another.")
    entry.refresh_from_db()
    assert entry.campaign == other
    assert Vote.objects.get().campaign == other
