"""The hostile-image corpus through the API: every refused file is ``invalid_image`` 400
with a message saying why, and nothing is written (no entry, no file); accepted files are
stored re-encoded without metadata."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.core.test_images import REFUSED
from tests.voting import image_corpus as corpus
from tests.voting.image_corpus import assert_clean
from voting.models import Entry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]

URL = "/api/v1/campaigns/best-runner/entries/"


def post(client, data: bytes, name: str, language: str = "en"):
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(
        URL, {"name": "李雷", "photo": upload}, format="multipart", HTTP_ACCEPT_LANGUAGE=language
    )


def media_files(settings) -> list:
    """Every stored file, public or private."""
    roots = [settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT]
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("maker", "name", "message"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_refused_upload_is_invalid_image_and_writes_nothing(
    voter_api, campaign, settings, maker, name, message
):
    response = post(voter_api, maker(), name)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_image"
    assert message in error["message"]
    assert not Entry.objects.exists()
    assert media_files(settings) == []


def test_the_message_is_in_the_clients_language(voter_api, campaign):
    response = post(voter_api, corpus.tiff(), "scan.jpg", language="zh-hans")
    assert response.json()["error"]["message"] == (
        "此文件不是 JPEG、PNG 或 WebP 格式的照片（与文件名无关）。"
    )


def test_a_photo_over_the_size_cap_is_refused_before_decoding(voter_api, campaign, settings):
    settings.PHOTO_MAX_BYTES = 2048
    response = post(voter_api, corpus.encode(corpus.noisy((64, 64)), "PNG"), "x.png")
    assert response.json()["error"]["code"] == "invalid_image"
    assert "larger than" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("maker", "size"),
    [
        (corpus.jpeg_with_gps, (40, 20)),
        (corpus.jpeg_rotated, (20, 40)),  # EXIF orientation 6, stored upright
        (corpus.png_with_html_appended, (16, 16)),
        (corpus.cmyk_jpeg, (16, 16)),
        (lambda: corpus.grey16_png(0x8000), (8, 8)),
        (corpus.animated_webp, (24, 24)),
        (corpus.webp_with_metadata, (16, 16)),
    ],
    ids=["gps", "orientation-6", "png+html", "cmyk", "16-bit", "animated-webp", "webp-meta"],
)
def test_accepted_upload_is_stored_clean(voter_api, campaign, maker, size):
    response = post(voter_api, maker(), "photo.jpg")
    assert response.status_code == 201, response.json()
    entry = Entry.objects.get()
    with entry.photo.open("rb") as fp:
        stored = fp.read()
    assert assert_clean(stored).size == size
    assert b"<script" not in stored
    # No thumbnail yet (a task draws it after commit): the photo stands in, never null.
    assert response.json()["thumbnail_url"] == response.json()["photo_url"]
