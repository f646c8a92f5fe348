"""Photos: the one gate every stored image goes through (docs/contract.md "Photos"), and the
derivatives drawn from a stored photo.

Every path that stores an image — API submission, the admin's Entry form, the contestant
import, the demo data — calls :func:`photo_ingest`, which checks the upload by its
content, never by its name, and returns a fresh JPEG to store (docs/library-traps.md "Pillow and
uploads"):

- the file size is capped before anything is read (``DATA_UPLOAD_MAX_MEMORY_SIZE`` does
  not count files);
- it is opened with an allow-list of formats (Django's ``ImageField`` accepts ~70, TIFF,
  PSD and EPS among them), and the pixel count and sides are checked from the header,
  before any pixel is decoded, with Pillow's ``DecompressionBombWarning`` turned into an
  error (below twice ``MAX_IMAGE_PIXELS`` Pillow merely warns);
- what decoding will cost is bounded from the header too: the bytes of the image we work
  on (width x height x bytes per pixel, after a JPEG's reduced-size decode) must fit
  ``PHOTO_MAX_DECODED_BYTES``, and a :class:`DecodeBudget` caps what a batch (the photo
  zip of a contestant import) may decode in total. A 34-byte lossless WebP of
  16383x2000 passes the pixel cap but would decode to 131 MB: refused before decoding;
- a JPEG larger than the stored size is decoded at a reduced scale (libjpeg's DCT
  scaling, ``draft()``), and the image is scaled down before any conversion, so the
  working set stays near the decoded size; at most ``PHOTO_DECODE_CONCURRENCY`` images
  decode at once in a process (threaded servers);
- every pixel is decoded (``load()``), so a truncated or corrupt file is refused rather
  than stored (``verify()`` decodes nothing);
- the result is always re-encoded: EXIF orientation applied first, then colours converted
  to sRGB (embedded ICC profile, CMYK), 16-bit depth reduced to 8, animation reduced to
  its first frame, transparency flattened on white, and saved with no metadata at all —
  no EXIF (GPS above all), ICC, XMP or text chunks. Whatever a polyglot carried after or
  around its pixels (HTML, a script) is not in what we store.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import threading
import warnings
from functools import lru_cache
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, UnidentifiedImageError

from core import errors

logger = logging.getLogger(__name__)

FORMATS = ["JPEG", "PNG", "WEBP"]
# Pillow's modes for 16- and 32-bit greyscale (a 16-bit PNG opens as one of them).
_WIDE_GREY = {"I", "I;16", "I;16B", "I;16L", "I;16N"}
_WHITE = (255, 255, 255)
# Bytes per pixel of the image we work on, by the mode it decodes to: a palette image is
# converted to RGBA before it is scaled (scaling a palette would pick nearest colours).
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "LA": 2, "La": 2, "P": 4, "PA": 4, "RGB": 3, "YCbCr": 3}
_BYTES_PER_PIXEL |= {"I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2, "I": 4, "F": 4}
# ImageOps.exif_transpose's table: EXIF orientation -> the transposition that undoes it.
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def _decode_slots() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(max(1, settings.PHOTO_DECODE_CONCURRENCY))
        return _slots


class DecodeBudget:
    """What a batch of images may decode in total (bytes of decoded pixels), charged from
    each header before its pixels are decoded: a small zip of large images cannot buy
    minutes of CPU."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    def charge(self, cost: int) -> None:
        if self.spent + cost > self.limit:
            raise _invalid(
                _(
                    "the photos of this upload together need more than %(mb)d MB to open; "
                    "upload them in smaller batches or as smaller JPEGs"
                )
                % {"mb": self.limit >> 20}
            )
        self.spent += cost


def _invalid(message: str) -> errors.InvalidImage:
    return errors.InvalidImage(message)


def _too_many_pixels() -> errors.InvalidImage:
    return _invalid(
        _("The photo has too many pixels: at most %(mp)d megapixels.")
        % {"mp": max(1, settings.PHOTO_MAX_PIXELS // 1_000_000)}
    )


def _damaged() -> errors.InvalidImage:
    return _invalid(_("The photo is damaged or incomplete; please upload the original again."))


def _has_signature(head: bytes) -> bool:
    """Starts like a JPEG, PNG or WebP file (so a failure to read it means damage)."""
    return (
        head.startswith(b"\xff\xd8\xff")
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    )


def _size_of(upload: IO[bytes]) -> int | None:
    size = getattr(upload, "size", None)
    if isinstance(size, int):
        return size
    try:
        here = upload.tell()
        end = upload.seek(0, os.SEEK_END)
        upload.seek(here)
        return end
    except (AttributeError, OSError, ValueError):
        return None


def _capped_bytes(upload: IO[bytes]) -> io.BytesIO:
    """The upload's bytes, refused if more than ``PHOTO_MAX_BYTES`` — known from its
    declared size where it has one, else by reading at most one byte past the cap."""
    limit = settings.PHOTO_MAX_BYTES
    too_large = _invalid(_("The photo is larger than %(mb)d MB.") % {"mb": max(1, limit >> 20)})
    size = _size_of(upload)
    if size is not None and size > limit:
        raise too_large
    with contextlib.suppress(AttributeError, OSError, ValueError):
        upload.seek(0)  # a stream that cannot seek is read from where it is
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large
    if not data:
        raise _invalid(_("The photo file is empty."))
    return io.BytesIO(data)


def decoded_bytes(image: Image.Image) -> int:
    """The bytes of the pixels we will work on, from the header alone."""
    width, height = image.size
    return width * height * _BYTES_PER_PIXEL.get(image.mode, 4)


def _reduced_decode(image: Image.Image) -> None:
    """Ask a JPEG larger than the stored size for libjpeg's reduced-size decode (1/2, 1/4
    or 1/8), never below what the stored photo needs."""
    side = settings.PHOTO_STORED_MAX_SIDE
    width, height = image.size
    if image.format != "JPEG" or max(width, height) <= side:
        return
    scale = side / max(width, height)
    image.draft(image.mode, (math.ceil(width * scale), math.ceil(height * scale)))


def _too_costly(cost: int) -> errors.InvalidImage:
    limit = settings.PHOTO_MAX_DECODED_BYTES
    return _invalid(
        _(
            "The photo would need %(need)d MB of memory to open, more than %(mb)d MB: "
            "save it as a JPEG or make it smaller."
        )
        % {"need": math.ceil(cost / (1 << 20)), "mb": limit >> 20}
    )


def photo_decode(upload: IO[bytes], *, budget: DecodeBudget | None = None) -> Image.Image:
    """Open and fully decode an untrusted upload; raise ``InvalidImage`` with a message
    the uploader can act on. Returns a loaded image (the first frame if animated), JPEGs
    possibly at a reduced size no smaller than ``PHOTO_STORED_MAX_SIDE``. The decoded
    bytes are charged to ``budget`` (if given) before any pixel is decoded."""
    data = _capped_bytes(upload)
    # Warnings filters are process-wide, not per thread: fine under gunicorn's worker
    # processes and Celery's prefork pool. The explicit checks below do not depend on it.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(data, formats=FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels() from exc
        except UnidentifiedImageError as exc:
            if _has_signature(data.getvalue()[:16]):
                raise _damaged() from exc
            raise _invalid(
                _("This file is not a JPEG, PNG or WebP photo, whatever its name says.")
            ) from exc
        except Exception as exc:  # a header the plugin could not parse
            raise _damaged() from exc
        width, height = image.size
        if width * height > settings.PHOTO_MAX_PIXELS:
            raise _too_many_pixels()
        if max(width, height) > settings.PHOTO_MAX_SIDE:
            raise _invalid(
                _("The photo is too wide or too tall: at most %(px)d pixels on a side.")
                % {"px": settings.PHOTO_MAX_SIDE}
            )
        if min(width, height) < 1:
            raise _invalid(_("The photo has no pixels."))
        _reduced_decode(image)
        cost = decoded_bytes(image)
        if cost > settings.PHOTO_MAX_DECODED_BYTES:
            raise _too_costly(cost)
        if budget is not None:
            budget.charge(cost)
        try:
            # Decodes every pixel of the first frame: a truncated or corrupt file fails
            # here (LOAD_TRUNCATED_IMAGES stays off), not later in a thumbnail task.
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels() from exc
        except Exception as exc:
            raise _damaged() from exc
    return image


@lru_cache(maxsize=1)
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112) or 1)
    except Exception:  # a malformed EXIF block: keep the pixels as they are
        logger.warning("photos: unreadable EXIF orientation, stored as decoded", exc_info=True)
        return 1


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    """EXIF orientation applied (a plain re-save would store the photo on its side)."""
    method = _ORIENTATION.get(orientation)
    return image.transpose(method) if method is not None else image


def _eight_bit(image: Image.Image) -> Image.Image:
    if image.mode in _WIDE_GREY:
        # Pillow's I;16 -> L conversion clips at 255 (everything above 1/256 of full scale
        # turns white); scale instead.
        return image.convert("I").point(lambda v: v / 256).convert("L")
    if image.mode == "F":
        return image.convert("L")
    if image.mode == "1":
        return image.convert("L")
    return image


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB pixels in sRGB: through the embedded ICC profile when there is one (a CMYK
    print file, an Adobe RGB or Display P3 photo), else Pillow's plain conversion."""
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(
                image,
                source,
                _srgb(),
                renderingIntent=ImageCms.Intent.PERCEPTUAL,
                outputMode="RGB",
            )
        except Exception:  # a broken profile, or one for another colour space
            logger.info("photos: embedded ICC profile not usable, converted without it")
    return image.convert("RGB")


def photo_normalise(image: Image.Image) -> Image.Image:
    """Upright, 8-bit, sRGB, opaque RGB with no metadata, at most
    ``PHOTO_STORED_MAX_SIDE`` pixels on its longer side. Consumes ``image`` (its
    full-size pixels are released once scaled down)."""
    source = image
    icc = image.info.get("icc_profile")
    orientation = _orientation(image)
    # Scaled down first, so every later step works on the stored size (a palette is
    # expanded before, as scaling it would pick nearest colours); always a new image,
    # one frame of an animation.
    image = _eight_bit(image)
    if image.mode in ("P", "PA"):
        image = image.convert(
            "RGBA" if "transparency" in image.info or image.mode == "PA" else "RGB"
        )
    image = _within(image, settings.PHOTO_STORED_MAX_SIDE)
    if image is source:
        image = image.copy()
    else:
        # The full-size pixels are not needed any more: free them now, not when the
        # caller lets go (for a 40-megapixel PNG, 40 MB of the peak).
        source.close()
    image = _upright(image, orientation)
    alpha = None
    if image.mode in ("P", "PA", "LA", "RGBA", "La", "RGBa") or "transparency" in image.info:
        image = image.convert("RGBA")
        alpha = image.getchannel("A")
        image = image.convert("RGB")
    if image.mode not in ("RGB", "CMYK", "L"):
        image = image.convert("RGB")
    image = _to_srgb(image, icc)
    if alpha is not None and alpha.getextrema() != (255, 255):
        background = Image.new("RGB", image.size, _WHITE)
        background.paste(image, mask=alpha)
        image = background
    # Nothing of the source's metadata may reach an encoder: PNG and WebP writers fall
    # back to ``info`` for the ICC profile and EXIF when they are not passed explicitly.
    image.info = {}
    return image


def _within(image: Image.Image, side: int) -> Image.Image:
    """Fit a ``side`` x ``side`` box (never enlarged), without a full-size copy."""
    width, height = image.size
    if max(width, height) <= side:
        return image
    scale = side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def jpeg_encode(image: Image.Image, *, name: str, quality: int | None = None) -> ContentFile:
    """A baseline-compatible JPEG with no EXIF, ICC or XMP (none is passed, and the
    image's ``info`` is not consulted by the JPEG writer)."""
    out = io.BytesIO()
    (image if image.mode == "RGB" else image.convert("RGB")).save(
        out,
        format="JPEG",
        quality=quality or settings.PHOTO_JPEG_QUALITY,
        optimize=True,
        progressive=True,
    )
    return ContentFile(out.getvalue(), name=name)


def photo_ingest(
    upload: IO[bytes], *, stem: str, budget: DecodeBudget | None = None
) -> ContentFile:
    """Validate an untrusted upload and return the JPEG to store as ``<stem>.jpg``.

    Raises ``InvalidImage`` (the API's ``invalid_image``, a form error in admin, a row
    error in imports) with a message saying what is wrong. ``budget`` caps what a batch
    of uploads decodes in total.
    """
    with _decode_slots(), photo_decode(upload, budget=budget) as image:
        clean = photo_normalise(image)
    return jpeg_encode(clean, name=f"{stem}.jpg")


def stored_photo_open(name: str, storage) -> Image.Image:
    """A photo we stored ourselves (always a JPEG from :func:`photo_ingest`), opened
    with the same allow-list and caps in case the file was replaced behind our back."""
    with storage.open(name, "rb") as fp:
        image = photo_decode(fp)
    return photo_normalise(image)


def derivative_render(source: Image.Image, *, side: int, name: str) -> ContentFile:
    """``source`` scaled to fit a ``side`` x ``side`` box (never enlarged), as a JPEG."""
    return jpeg_encode(_within(source, side), name=name)
