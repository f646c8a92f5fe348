"""Share posters: photo, name, campaign title and a QR code that decodes (zxing-cpp) to
the entry's /s/{share_code} link; Chinese text in a CJK font, or a graceful fallback;
drawn once per content, on approval and on demand; downloadable from the API."""

import functools
import io
import logging

import pytest
import zxingcpp
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image, ImageDraw

from core import posters
from tests.factories import EntryFactory
from tests.voting import image_corpus as corpus
from tests.voting.image_corpus import assert_clean
from tests.voting.services.test_photos import read, store_photo
from voting.models import Entry
from voting.services.entries import entry_moderate
from voting.services.photos import entry_poster_generate, poster_name, share_url
from voting.tasks import photos as tasks_photos

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_env")]

SITE = "https://campaigns.example.cn"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def approved(campaign):
    return store_photo(EntryFactory(campaign=campaign, name="韩梅梅"))


@pytest.fixture
def no_cjk_font(settings, monkeypatch):
    """A machine without the font: nothing at the configured path or the usual ones."""
    settings.POSTER_FONT_PATH = "/nonexistent/font.ttc"
    monkeypatch.setattr(posters, "FONT_CANDIDATES", ())
    posters._resolve_font.cache_clear()
    yield
    posters._resolve_font.cache_clear()


def qr_texts(data: bytes) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]


def test_poster_qr_decodes_to_the_share_url(approved):
    name = entry_poster_generate(entry_id=approved.pk)
    approved.refresh_from_db()
    assert approved.poster.name == name
    data = read(approved.poster)
    image = assert_clean(data)  # no EXIF, ICC or XMP in the poster either
    assert image.size == posters.SIZE
    assert share_url(approved.share_code) == f"{SITE}/s/{approved.share_code}"
    assert qr_texts(data) == [f"{SITE}/s/{approved.share_code}"]


def test_the_share_url_resolves_to_the_entry(api, approved):
    path = share_url(approved.share_code).removeprefix(SITE)
    response = api.get(path)
    assert response.status_code == 302
    assert f"/e/{approved.pk}/?ref={approved.share_code}" in response["Location"]


def test_poster_uses_a_cjk_font_that_draws_chinese():
    font = posters.poster_font()
    assert font.path and "CJK" in font.path, "install fonts-noto-cjk (see README)"
    face = font.get(48)
    assert "SC" in face.getname()[0]
    # A font without the glyphs draws the same box for every character.
    drawn = [glyph(face, char) for char in "投票"]
    assert drawn[0] != drawn[1]
    assert all(any(pixels) for pixels in drawn)


def glyph(face, char: str) -> bytes:
    image = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(image).text((4, 0), char, font=face, fill=255)
    return image.tobytes()


def test_without_a_cjk_font_the_poster_is_still_drawn_with_a_warning(approved, no_cjk_font, caplog):
    with caplog.at_level(logging.WARNING, logger="core.posters"):
        name = entry_poster_generate(entry_id=approved.pk)
    assert "no CJK font found" in caplog.text
    assert "POSTER_FONT_PATH /nonexistent/font.ttc is not a usable font" in caplog.text
    approved.refresh_from_db()
    assert name and qr_texts(read(approved.poster)) == [share_url(approved.share_code)]


def test_the_font_is_part_of_the_poster_name(approved, settings, monkeypatch):
    # Installing the font later redraws the posters drawn without it.
    with_font = poster_name(approved)
    settings.POSTER_FONT_PATH = "/nonexistent/font.ttc"
    monkeypatch.setattr(posters, "FONT_CANDIDATES", ())
    posters._resolve_font.cache_clear()
    try:
        assert poster_name(approved) != with_font
    finally:
        posters._resolve_font.cache_clear()


def test_drawing_twice_writes_once(approved):
    first = entry_poster_generate(entry_id=approved.pk)
    approved.refresh_from_db()
    storage = approved.poster.storage
    mtime = storage.get_modified_time(first)

    assert entry_poster_generate(entry_id=approved.pk) == first
    assert tasks_photos.entry_poster_generate.apply(args=[approved.pk]).get() == first
    assert storage.get_modified_time(first) == mtime
    assert len(storage.listdir("entries/posters")[1]) == 1


def test_a_renamed_contestant_gets_a_new_poster_and_the_old_file_goes(
    approved, django_capture_on_commit_callbacks
):
    first = entry_poster_generate(entry_id=approved.pk)
    Entry.objects.filter(pk=approved.pk).update(name="韩梅")
    with django_capture_on_commit_callbacks(execute=True):
        second = entry_poster_generate(entry_id=approved.pk)
    assert second != first
    storage = approved.poster.storage
    assert storage.exists(second) and not storage.exists(first)


def test_a_new_site_url_makes_a_new_poster(approved, settings):
    first = poster_name(approved)
    settings.SITE_URL = "https://other.example.cn"
    assert poster_name(approved) != first


@pytest.mark.parametrize("status", [Entry.Status.PENDING, Entry.Status.REJECTED])
def test_no_poster_unless_approved(campaign, status):
    entry = store_photo(EntryFactory(campaign=campaign, status=status))
    assert entry_poster_generate(entry_id=entry.pk) is None
    entry.refresh_from_db()
    assert not entry.poster


def test_a_gone_entry_is_a_no_op():
    assert tasks_photos.entry_poster_generate.apply(args=[987654]).get() is None


def test_an_entry_without_a_photo_still_gets_a_poster(campaign):
    entry = EntryFactory(campaign=campaign)
    entry_poster_generate(entry_id=entry.pk)
    entry.refresh_from_db()
    assert qr_texts(read(entry.poster)) == [share_url(entry.share_code)]


def test_poster_shows_the_photo(campaign):
    entry = store_photo(EntryFactory(campaign=campaign), Image.new("RGB", (600, 600), corpus.GREEN))
    entry_poster_generate(entry_id=entry.pk)
    entry.refresh_from_db()
    poster = Image.open(io.BytesIO(read(entry.poster))).convert("RGB")
    red, green, blue = poster.getpixel((posters.SIZE[0] // 2, 600))
    assert green > 200 and red < 60 and blue < 60


# --- Approval draws it ----------------------------------------------------------------------


def test_approving_draws_the_poster_after_commit(
    campaign, eager_tasks, django_capture_on_commit_callbacks
):
    entry = store_photo(EntryFactory(campaign=campaign, status=Entry.Status.PENDING))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert entry_moderate(entry_ids=[entry.pk], status=Entry.Status.APPROVED) == 1
    tasks = [c for c in callbacks if isinstance(c, functools.partial)]
    assert len(tasks) == 2  # thumbnails and poster (the rest: public copies of its files)
    entry.refresh_from_db()
    assert entry.poster.name == poster_name(entry)

    with django_capture_on_commit_callbacks() as callbacks:  # already approved: nothing
        assert entry_moderate(entry_ids=[entry.pk], status=Entry.Status.APPROVED) == 0
    assert callbacks == []


def test_rejecting_asks_for_no_poster(campaign, django_capture_on_commit_callbacks):
    entry = EntryFactory(campaign=campaign, status=Entry.Status.PENDING)
    with django_capture_on_commit_callbacks() as callbacks:
        assert entry_moderate(entry_ids=[entry.pk], status=Entry.Status.REJECTED) == 1
    assert len(callbacks) == 1  # no poster task: only its files leaving public storage
    assert "entry_files_sync" in callbacks[0].__qualname__


# --- The API -------------------------------------------------------------------------------


def poster_path(entry) -> str:
    return f"/api/v1/campaigns/best-runner/entries/{entry.pk}/poster/"


def test_api_poster_is_drawn_on_demand_and_served(api, approved):
    assert not approved.poster
    response = api.get(poster_path(approved))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "attachment" not in response.get("Content-Disposition", "")
    data = b"".join(response.streaming_content)
    assert qr_texts(data) == [share_url(approved.share_code)]
    approved.refresh_from_db()
    assert approved.poster.name == poster_name(approved)


@pytest.mark.parametrize(
    "accept",
    [
        "image/jpeg",
        "image/*",
        "*/*",
        "image/webp,image/apng,image/*,*/*;q=0.8",  # what an <img> in Chrome sends
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",  # a browser tab
        "",
    ],
)
def test_api_poster_is_served_to_any_accept_that_admits_a_jpeg(api, approved, accept):
    response = api.get(poster_path(approved), HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


@pytest.mark.parametrize("accept", ["application/json", "text/html", "image/png", "image/*;q=0"])
def test_api_poster_to_an_accept_without_jpeg_is_not_acceptable_in_json(api, approved, accept):
    response = api.get(poster_path(approved), HTTP_ACCEPT=accept, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_acceptable"
    assert not Entry.objects.get(pk=approved.pk).poster  # refused before drawing


def test_api_poster_errors_are_json_whatever_the_accept(api, campaign):
    response = api.get(
        poster_path(EntryFactory(campaign=campaign, status=Entry.Status.PENDING)),
        HTTP_ACCEPT="image/jpeg",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_poster_download(api, approved):
    response = api.get(poster_path(approved) + "?download=1")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert (
        disposition.startswith("attachment") and f"poster-{approved.share_code}.jpg" in disposition
    )


def test_api_poster_missing_on_disk_is_drawn_again(api, approved):
    name = entry_poster_generate(entry_id=approved.pk)
    approved.poster.storage.delete(name)
    response = api.get(poster_path(approved))
    assert response.status_code == 200
    assert approved.poster.storage.exists(name)


def test_api_poster_url_is_listed(api, approved):
    item = api.get("/api/v1/campaigns/best-runner/entries/").json()["results"][0]
    assert item["poster_url"] == f"http://testserver{poster_path(approved)}"


@pytest.mark.parametrize("status", [Entry.Status.PENDING, Entry.Status.REJECTED])
def test_api_poster_of_an_entry_not_approved_is_not_found(api, campaign, status):
    entry = EntryFactory(campaign=campaign, status=status)
    response = api.get(poster_path(entry))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_poster_of_an_unknown_entry_is_not_found(api, campaign):
    response = api.get("/api/v1/campaigns/best-runner/entries/999999/poster/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- What the poster says --------------------------------------------------------------------

REWARD_WORDS = ("奖", "红包", "礼", "福利", "抽", "领", "返现", "prize", "reward", "win", "gift")


def test_poster_text_asks_for_a_vote_and_promises_nothing():
    with translation.override("zh-hans"):
        texts = [gettext(t) for t in posters.POSTER_TEXTS]
    assert texts[0] == "扫码为TA投票"
    for text in texts + list(posters.POSTER_TEXTS):
        for word in REWARD_WORDS:
            assert word not in text.lower(), (word, text)


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost", True),
        ("campaigns.example.cn", True),  # no scheme
        ("https://campaigns.example.cn", False),
    ],
)
def test_deploy_check_warns_about_a_site_url_qr_codes_cannot_reach(settings, url, warned):
    from voting.checks import check_site_url

    settings.SITE_URL = url
    assert bool(check_site_url()) is warned
