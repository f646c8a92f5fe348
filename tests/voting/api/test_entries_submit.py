"""Contestants submit entries through the API (multipart)."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from campaigns.models import Campaign, Round
from tests.factories import CampaignFactory
from tests.voting.fixtures_api import image_bytes
from voting.models import Entry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]

URL = "/api/v1/campaigns/best-runner/entries/"


def _photo(fmt="JPEG", name="me.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(fmt, **kwargs), content_type="image/jpeg")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_submission_creates_a_pending_entry_with_a_reencoded_photo(
    voter_api, voter, campaign, fmt, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the thumbnails' task
        response = voter_api.post(
            URL, {"name": "李雷", "caption": "夜跑十公里", "photo": _photo(fmt)}, format="multipart"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    entry = Entry.objects.get(pk=body["id"])
    assert (entry.status, entry.voter, entry.round.number) == (Entry.Status.PENDING, voter, 1)
    assert body["status"] == "pending" and body["share_code"] == entry.share_code
    with Image.open(entry.photo.path) as stored:
        assert stored.format == "JPEG"
    entry.refresh_from_db()
    with Image.open(entry.thumbnail.path) as thumb:
        assert max(thumb.size) <= 480
    voter.refresh_from_db()
    assert voter.attributed_campaign == campaign


def test_pending_entry_is_not_listed(voter_api, api, campaign):
    voter_api.post(URL, {"name": "李雷", "photo": _photo()}, format="multipart")
    assert api.get(URL).json()["count"] == 0


@pytest.mark.parametrize(
    "content",
    [
        b"not an image at all",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 50,  # a PNG header, then garbage
    ],
)
def test_invalid_image_400(voter_api, campaign, content):
    upload = SimpleUploadedFile("x.jpg", content, content_type="image/jpeg")
    response = voter_api.post(URL, {"name": "李雷", "photo": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_image"
    assert not Entry.objects.exists()


def test_gif_is_an_invalid_image(voter_api, campaign):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    upload = SimpleUploadedFile("x.gif", out.getvalue(), content_type="image/gif")
    response = voter_api.post(URL, {"name": "李雷", "photo": upload}, format="multipart")
    assert response.json()["error"]["code"] == "invalid_image"


def test_too_many_pixels_is_an_invalid_image(voter_api, campaign, settings):
    settings.PHOTO_MAX_PIXELS = 100
    response = voter_api.post(URL, {"name": "李雷", "photo": _photo()}, format="multipart")
    assert response.json()["error"]["code"] == "invalid_image"


def test_missing_fields_are_invalid_naming_them(voter_api, campaign):
    response = voter_api.post(URL, {"caption": "x"}, format="multipart")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and {"name", "photo"} <= set(error["fields"])


def test_nul_byte_in_name_is_invalid(voter_api, campaign):
    response = voter_api.post(URL, {"name": "a\x00b", "photo": _photo()}, format="multipart")
    assert response.status_code == 400 and "name" in response.json()["error"]["fields"]


@pytest.mark.parametrize("fmt", ["json", "form"])
def test_a_body_that_is_not_multipart_is_an_unsupported_media_type(voter_api, campaign, fmt):
    if fmt == "json":
        response = voter_api.post(URL, {"name": "x"}, format="json")
    else:
        response = voter_api.post(URL, "name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert not Entry.objects.exists()


def test_submissions_closed_409(voter_api):
    now = timezone.now()
    CampaignFactory(
        slug="best-runner",
        submission_starts_at=now - timedelta(days=5),
        submission_ends_at=now - timedelta(days=1),
    )
    response = voter_api.post(URL, {"name": "李雷", "photo": _photo()}, format="multipart")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "submissions_closed"


def test_submissions_closed_409_when_campaign_closed(voter_api, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    response = voter_api.post(URL, {"name": "李雷", "photo": _photo()}, format="multipart")
    assert response.json()["error"]["code"] == "submissions_closed"


def test_daily_topic_entry_joins_the_current_round(voter_api):
    now = timezone.now()
    campaign = CampaignFactory(slug="best-runner", kind=Campaign.Kind.DAILY_TOPIC, with_round=False)
    Round.objects.create(
        campaign=campaign,
        number=1,
        voting_starts_at=now - timedelta(days=1),
        voting_ends_at=now - timedelta(hours=1),
    )
    Round.objects.create(
        campaign=campaign,
        number=2,
        voting_starts_at=now - timedelta(hours=1),
        voting_ends_at=now + timedelta(hours=23),
    )
    body = voter_api.post(URL, {"name": "韩梅梅", "photo": _photo()}, format="multipart").json()
    assert body["round"] == 2


def test_submission_needs_a_voter_token(api, campaign):
    response = api.post(URL, {"name": "李雷", "photo": _photo()}, format="multipart")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_unknown_campaign_404(voter_api):
    response = voter_api.post(URL, {"name": "李雷", "photo": _photo()}, format="multipart")
    assert response.status_code == 404
