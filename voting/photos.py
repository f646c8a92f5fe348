"""Uploaded photos: accept only real JPEG/PNG/WebP images and store a re-encoded copy.

Basic on purpose (the photos issue hardens it further): Django's ImageField only calls
``verify()`` and accepts ~70 formats, so the upload is opened with an allow-list of
formats, fully decoded under a pixel cap, and re-encoded — which also drops metadata
such as GPS tags after applying the EXIF orientation.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from . import errors

_FORMATS = ["JPEG", "PNG", "WEBP"]
THUMBNAIL_SIZE = (480, 480)


@dataclass(frozen=True)
class ProcessedPhoto:
    photo: ContentFile
    thumbnail: ContentFile


def _jpeg(image: Image.Image, name: str) -> ContentFile:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return ContentFile(out.getvalue(), name=name)


def photo_process(upload, *, stem: str) -> ProcessedPhoto:
    """Validate ``upload`` (a file-like object) and return the photo and thumbnail to
    store, both JPEG without metadata. Raises ``InvalidImage``."""
    size = getattr(upload, "size", None)
    if size is not None and size > settings.PHOTO_MAX_BYTES:
        raise errors.InvalidImage(
            _("The photo is larger than %(mb)d MB.") % {"mb": settings.PHOTO_MAX_BYTES >> 20}
        )
    try:
        upload.seek(0)
        # open() reads only the header, so the pixel cap is checked before decoding.
        # (Not Image.MAX_IMAGE_PIXELS: a process-wide global, and below twice its value
        # Pillow merely warns.)
        with Image.open(upload, formats=_FORMATS) as image:
            width, height = image.size
            if width * height > settings.PHOTO_MAX_PIXELS:
                raise errors.InvalidImage(_("The photo has too many pixels."))
            image.load()
            image = ImageOps.exif_transpose(image).convert("RGB")
    except errors.InvalidImage:
        raise
    except Image.DecompressionBombError as exc:
        raise errors.InvalidImage(_("The photo has too many pixels.")) from exc
    except Exception as exc:  # any decoder failure means "not an image we accept"
        raise errors.InvalidImage() from exc
    thumb = image.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    return ProcessedPhoto(
        photo=_jpeg(image, f"{stem}.jpg"), thumbnail=_jpeg(thumb, f"{stem}-thumb.jpg")
    )
