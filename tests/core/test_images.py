"""The photo service (core/images.py) against a corpus of hostile and odd images made
by tests/voting/image_corpus.py: each case with its expected outcome.

Refused files raise ``InvalidImage`` with a message saying why; accepted ones come back as
a fresh JPEG, upright, sRGB, 8-bit, one frame, with no metadata at all.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.errors import InvalidImage
from core.images import photo_ingest
from tests.voting import image_corpus as corpus
from tests.voting.image_corpus import assert_clean

NOT_OURS = "not a JPEG, PNG or WebP"
DAMAGED = "damaged or incomplete"
TOO_MANY_PIXELS = "too many pixels"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


def ingest(data: bytes, name: str = "photo.jpg"):
    return photo_ingest(SimpleUploadedFile(name, data, content_type="image/jpeg"), stem="t")


def read_back(content) -> Image.Image:
    image = Image.open(io.BytesIO(content.read() if hasattr(content, "read") else content))
    image.load()
    return image


def _pixel(image: Image.Image, xy=(0, 0)) -> tuple[int, ...]:
    return image.convert("RGB").getpixel(xy)


def _close(actual, expected, tolerance=12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


# --- Refused -------------------------------------------------------------------------------


REFUSED = [
    # (case, bytes maker, file name, message fragment)
    (
        "decompression bomb 20000x20000 (~48 KB)",
        lambda: corpus.bomb_png(20000),
        "x.png",
        TOO_MANY_PIXELS,
    ),
    # 49 MP: above the cap, below twice Pillow's limit, where Pillow only warns.
    (
        "decompression bomb 7000x7000 (~6 KB)",
        lambda: corpus.bomb_png(7000),
        "x.png",
        TOO_MANY_PIXELS,
    ),
    (
        "JPEG header claiming 60000x60000",
        lambda: corpus.jpeg_claiming_size(60000, 60000),
        "x.jpg",
        TOO_MANY_PIXELS,
    ),
    ("huge dimensions 30000x2", corpus.wide_png, "x.png", "too wide or too tall"),
    ("shell script renamed .jpg", lambda: corpus.SCRIPT, "x.jpg", NOT_OURS),
    ("HTML renamed .jpg", lambda: corpus.HTML, "x.jpg", NOT_OURS),
    ("SVG with a script renamed .png", lambda: corpus.SVG, "x.png", NOT_OURS),
    ("truncated JPEG", corpus.truncated_jpeg, "x.jpg", DAMAGED),
    ("PNG signature then garbage", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "x.png", DAMAGED),
    ("TIFF renamed .jpg", corpus.tiff, "x.jpg", NOT_OURS),
    ("BMP renamed .jpg", corpus.bmp, "x.jpg", NOT_OURS),
    ("GIF renamed .jpg", corpus.gif, "x.jpg", NOT_OURS),
    ("animated GIF", corpus.animated_gif, "x.gif", NOT_OURS),
    ("PSD renamed .jpg", corpus.psd, "x.jpg", NOT_OURS),
    ("EPS renamed .jpg (Ghostscript bait)", corpus.eps, "x.jpg", NOT_OURS),
    ("empty file", lambda: b"", "x.jpg", "empty"),
]


@pytest.mark.parametrize(
    ("maker", "name", "message"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_refused(maker, name, message):
    with pytest.raises(InvalidImage) as caught:
        ingest(maker(), name)
    assert message in caught.value.message
    assert caught.value.code == "invalid_image"


@pytest.mark.parametrize("maker", [corpus.tiff, corpus.bmp, corpus.gif, corpus.psd])
def test_the_refused_formats_are_images_pillow_would_open(maker):
    # Not vacuous: without the allow-list these would be accepted (Django's ImageField does).
    with Image.open(io.BytesIO(maker())) as image:
        image.load()


def test_the_bomb_is_small_on_disk():
    assert len(corpus.bomb_png(20000)) < 100_000


def test_file_size_capped_before_reading(settings):
    settings.PHOTO_MAX_BYTES = 1024
    data = corpus.encode(corpus.noisy((64, 64)), "PNG")
    assert len(data) > 1024
    with pytest.raises(InvalidImage, match="larger than"):
        ingest(data, "x.png")


def test_file_size_capped_on_a_stream_without_a_size(settings):
    settings.PHOTO_MAX_BYTES = 1024

    class Stream(io.RawIOBase):
        """A pipe: no size, cannot seek; counts what is read."""

        def __init__(self):
            self.read_bytes = 0

        def readable(self):
            return True

        def read(self, n=-1):
            n = 4096 if n is None or n < 0 else n
            self.read_bytes += n
            return b"\xff" * n

    stream = Stream()
    with pytest.raises(InvalidImage, match="larger than"):
        photo_ingest(stream, stem="t")
    assert stream.read_bytes <= 1025  # never read past the cap


def test_pixel_cap_comes_from_settings(settings):
    settings.PHOTO_MAX_PIXELS = 100
    with pytest.raises(InvalidImage, match=TOO_MANY_PIXELS):
        ingest(corpus.encode(Image.new("RGB", (20, 20)), "JPEG"))


def test_side_cap_comes_from_settings(settings):
    settings.PHOTO_MAX_SIDE = 100
    with pytest.raises(InvalidImage, match="too wide or too tall"):
        ingest(corpus.encode(Image.new("RGB", (101, 10)), "PNG"), "x.png")


# --- Accepted, and what is stored ----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_three_formats_are_accepted_and_reencoded(fmt):
    data = corpus.encode(corpus.halves(), fmt)
    stored = ingest(data, "anything.bin")  # the name says nothing; the content does
    assert stored.name == "t.jpg"
    image = assert_clean(stored.read())
    assert image.size == (40, 20)


def test_png_with_html_appended_is_stored_without_it():
    data = corpus.png_with_html_appended()
    assert corpus.HTML in data
    stored = ingest(data, "x.png").read()
    assert_clean(stored)
    assert b"<script" not in stored and b"<html" not in stored.lower()


def test_jpeg_with_php_in_its_comment_is_stored_without_it():
    stored = ingest(corpus.jpeg_with_php_comment()).read()
    assert_clean(stored)
    assert b"<?php" not in stored


def test_exif_orientation_6_is_stored_upright():
    stored = assert_clean(ingest(corpus.jpeg_rotated()).read())
    # 40x20 on disk, displayed turned 90° clockwise: 20x40, the red left half on top.
    assert stored.size == (20, 40)
    assert _close(_pixel(stored, (10, 5)), corpus.RED, 40)
    assert _close(_pixel(stored, (10, 35)), corpus.BLUE, 40)


def test_exif_with_gps_is_stripped():
    data = corpus.jpeg_with_gps()
    with Image.open(io.BytesIO(data)) as original:  # not vacuous: the GPS is there
        assert original.getexif().get_ifd(0x8825)
    stored = ingest(data).read()
    image = assert_clean(stored)
    assert not image.getexif().get_ifd(0x8825)
    assert b"GPS" not in stored


@pytest.mark.parametrize(
    "maker", [corpus.png_with_metadata, corpus.webp_with_metadata], ids=["png", "webp"]
)
def test_png_and_webp_metadata_are_stripped(maker):
    stored = ingest(maker(), "x.png").read()
    image = assert_clean(stored)
    assert b"<script" not in stored
    assert _close(_pixel(image), corpus.RED)


def test_cmyk_jpeg_is_converted_to_rgb():
    image = assert_clean(ingest(corpus.cmyk_jpeg()).read())
    assert _close(_pixel(image), corpus.RED, 40)


def test_16_bit_grey_png_is_scaled_not_clipped():
    # Pillow's own I;16 -> L conversion would make mid-grey (0x8000) white.
    image = assert_clean(ingest(corpus.grey16_png(0x8000), "x.png").read())
    assert _close(_pixel(image), (128, 128, 128), 4)


def test_16_bit_rgb_png_is_accepted():
    image = assert_clean(ingest(corpus.rgb16_png((0xFF00, 0, 0)), "x.png").read())
    assert _close(_pixel(image), corpus.RED)


@pytest.mark.parametrize("maker", [corpus.animated_webp, corpus.animated_png], ids=["webp", "apng"])
def test_animation_keeps_its_first_frame(maker):
    data = maker()
    with Image.open(io.BytesIO(data)) as original:
        assert original.n_frames == 3
    image = assert_clean(ingest(data, "x.webp").read())
    assert getattr(image, "n_frames", 1) == 1
    assert _close(_pixel(image, (12, 12)), corpus.RED)


def test_embedded_icc_profile_is_applied_then_dropped():
    # Stored red under a profile whose red primary is sRGB's green: it *is* green.
    image = assert_clean(ingest(corpus.png_with_profile(corpus.swapped_primaries_icc())).read())
    red, green, blue = _pixel(image, (8, 8))
    assert green > 200 and red < 60 and blue < 60


def test_srgb_profile_is_dropped_with_colours_kept():
    image = assert_clean(ingest(corpus.png_with_profile(corpus.srgb_icc())).read())
    assert _close(_pixel(image), corpus.RED)


def test_a_broken_icc_profile_does_not_refuse_the_photo():
    image = assert_clean(ingest(corpus.png_with_profile(b"not a profile" * 20)).read())
    assert _close(_pixel(image), corpus.RED)


@pytest.mark.parametrize("maker", [corpus.transparent_png, corpus.palette_png_with_transparency])
def test_transparency_is_flattened_on_white(maker):
    image = assert_clean(ingest(maker(), "x.png").read())
    assert _close(_pixel(image, (12, 8)), (255, 255, 255))  # transparent half


def test_greyscale_jpeg_is_stored_as_rgb():
    assert_clean(ingest(corpus.grey_jpeg()).read())


def test_stored_photo_is_at_most_the_configured_side(settings):
    settings.PHOTO_STORED_MAX_SIDE = 100
    image = assert_clean(ingest(corpus.encode(Image.new("RGB", (400, 200)), "PNG")).read())
    assert image.size == (100, 50)


def test_messages_are_translated(settings):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(InvalidImage) as caught:
        ingest(corpus.SCRIPT)
    assert "JPEG" in caught.value.message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)
