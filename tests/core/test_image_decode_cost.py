"""What decoding an upload may cost (core/images.py): bytes of decoded pixels checked
from the header, JPEGs decoded at a reduced scale, scaling before conversions, and a
total for the photo zip of a contestant import.

Memory is measured in a fresh Python process (``ru_maxrss``): Pillow allocates outside
Python's allocator, so tracemalloc would not see it.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from functools import lru_cache
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from core.errors import InvalidImage
from core.images import DecodeBudget, photo_ingest
from tests.voting import image_corpus as corpus

REPO = Path(__file__).resolve().parents[2]
TOO_COSTLY = "of memory to open"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@lru_cache
def lossless_webp(mode: str = "RGBA", size=(16383, 2000)) -> bytes:
    """34 bytes on disk, 131 MB (RGBA) decoded."""
    out = io.BytesIO()
    Image.new(mode, size).save(out, format="WEBP", lossless=True, method=0)
    return out.getvalue()


def grey_png(side: int = 6300) -> bytes:
    """About 38 KB: one grey byte per pixel, 40 MB decoded, 119 MB as RGB."""
    return corpus.png_by_hand(side, side, bit_depth=8, colour_type=0, row=b"\x80" * side)


def rgb_png(side: int = 6300) -> bytes:
    return corpus.png_by_hand(side, side, bit_depth=8, colour_type=2, row=b"\x10\x80\xf0" * side)


def palette_png(side: int = 6000) -> bytes:
    """A palette PNG: one byte per pixel on disk, RGBA once expanded for scaling."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 3, 0, 0, 0)
    plte = b"\x00\x00\x00\xff\xff\xff"
    compressor = zlib.compressobj(9)
    data = compressor.compress((b"\x00" + b"\x01" * side) * side) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + corpus._chunk(b"IHDR", ihdr)
        + corpus._chunk(b"PLTE", plte)
        + corpus._chunk(b"IDAT", data)
        + corpus._chunk(b"IEND", b"")
    )


def big_jpeg(size=(6000, 4000)) -> bytes:
    """24 megapixels: 72 MB as RGB, more than the per-image cap unless decoded at half
    size, which is still larger than the stored photo."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG", quality=70)
    return out.getvalue()


def ingest(data: bytes, name="p.png", **kwargs):
    return photo_ingest(SimpleUploadedFile(name, data), stem="t", **kwargs)


@pytest.mark.parametrize(
    "case, maker, need_mb",
    [
        ("lossless WebP 16383x2000 RGBA", lambda: lossless_webp("RGBA"), 125),
        ("lossless WebP 16383x2000 RGB", lambda: lossless_webp("RGB"), 94),
        ("PNG 6300x6300 RGB", rgb_png, 114),
        ("palette PNG 6000x6000 (RGBA when expanded)", palette_png, 138),
    ],
)
def test_an_image_too_costly_to_decode_is_refused_from_its_header(case, maker, need_mb):
    data = maker()
    assert len(data) < 200_000, case
    started = time.perf_counter()
    with pytest.raises(InvalidImage) as refused:
        ingest(data)
    assert time.perf_counter() - started < 0.5, "refused before any pixel is decoded"
    assert TOO_COSTLY in refused.value.message
    assert f"need {need_mb} MB" in refused.value.message
    assert "save it as a JPEG" in refused.value.message


def test_a_grey_6300_png_is_decoded_and_stored_at_the_stored_size():
    stored = ingest(grey_png())
    image = Image.open(io.BytesIO(stored.read()))
    assert image.format == "JPEG" and image.size == (2560, 2560)


def test_a_big_jpeg_decodes_at_a_reduced_scale_and_is_accepted(settings):
    stored = ingest(big_jpeg(), name="big.jpg")
    image = Image.open(io.BytesIO(stored.read()))
    assert image.size == (2560, 1707)
    assert image.getpixel((10, 10))[0] > 150  # the right pixels, not a blank
    # Never below the stored size: a 1/2 decode of 6000x4000 is 3000x2000.
    settings.PHOTO_STORED_MAX_SIDE = 3000
    assert Image.open(io.BytesIO(ingest(big_jpeg(), name="big.jpg").read())).size == (3000, 2000)


# The peak resident size of this process (VmHWM starts afresh at exec, unlike
# ru_maxrss, which a child inherits from the pytest process that forked it).
_MEASURE = r"""
import io, json, re, sys, time
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from core.errors import InvalidImage
from core.images import photo_ingest

def peak_kb():
    status = open("/proc/self/status").read()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1))

data = open(sys.argv[1], "rb").read()
before = peak_kb()
started = time.process_time()
try:
    photo_ingest(SimpleUploadedFile("x", data), stem="t")
    outcome = "stored"
except InvalidImage as exc:
    outcome = "refused"
cpu = time.process_time() - started
after = peak_kb()
print(json.dumps({"outcome": outcome, "mb": (after - before) / 1024, "cpu": cpu}))
"""


def _measure(tmp_path, data: bytes) -> dict:
    path = tmp_path / "upload"
    path.write_bytes(data)
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"}
    import os

    env.update({k: v for k, v in os.environ.items() if k in ("VAR_DIR", "DATABASE_URL")})
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize(
    "case, maker, outcome",
    [
        ("lossless WebP 16383x2000", lambda: lossless_webp("RGBA"), "refused"),
        ("PNG 6300x6300 RGB", rgb_png, "refused"),
        ("PNG 6300x6300 grey", grey_png, "stored"),
        ("JPEG 6000x4000", big_jpeg, "stored"),
    ],
)
def test_decoding_one_hostile_image_stays_within_a_small_memory_budget(
    tmp_path, case, maker, outcome
):
    measured = _measure(tmp_path, maker())
    print(case, measured)
    assert measured["outcome"] == outcome
    # Before the caps: 0.6 GB and seconds for the WebP and the PNGs.
    assert measured["mb"] < 100, measured
    assert measured["cpu"] < 2.0, measured


# --- The photo zip's total --------------------------------------------------------------


def test_a_budget_refuses_once_a_batch_has_decoded_its_share():
    budget = DecodeBudget(100 * 1024 * 1024)
    ingest(grey_png())  # without a budget: fine
    ingest(grey_png(), budget=budget)
    ingest(grey_png(), budget=budget)  # 2 x 40 MB
    with pytest.raises(InvalidImage, match="together need more than 100 MB"):
        ingest(grey_png(), budget=budget)
    assert budget.spent == 2 * 6300 * 6300
