"""Receipts: the one gate an expense's receipt file goes through (docs/files.md).

A receipt is a photo or a PDF, decided by its content, never its name or declared type:

- a JPEG, PNG or WebP goes through the photo gate (``core.images.photo_ingest``):
  decoded within the same caps, re-encoded as a JPEG without any metadata (no GPS);
- a PDF must start with ``%PDF-`` and carry no active content a viewer would run:
  JavaScript, launch/submit/import actions, embedded files, rich media or XFA forms.
  The check reads the raw file and every Flate-compressed stream (object streams hide
  dictionaries there), with ``#xx`` escapes in names decoded, within a budget of
  inflated bytes; a PDF it cannot read within that budget is refused;
- anything else (HTML, SVG, scripts, archives, other binaries) is refused.

Each is stored under a random name with an extension we chose (``.jpg``/``.pdf``).
"""

from __future__ import annotations

import re
import secrets
import zlib
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from core import errors
from core.images import photo_ingest

_IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
# PDF names whose presence means a viewer may run something (ISO 32000-1, 12.6 actions,
# 7.11.4 embedded files, 12.7.8 XFA).
_ACTIVE = re.compile(
    rb"/(JavaScript|JS|Launch|SubmitForm|ImportData|EmbeddedFile|EmbeddedFiles|RichMedia|XFA)"
    rb"(?![A-Za-z0-9])"
)
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream\r?\n")
# What inflating a PDF's streams may cost, as a multiple of the file size (and at least
# a few MB): a 10 MB scan inflates to far less; a Flate bomb stops here.
_INFLATE_FACTOR = 20


class InvalidReceipt(errors.DomainError):
    code = "invalid_receipt"
    default_message = _("Upload the receipt as a photo (JPEG, PNG or WebP) or a PDF.")


def _refuse(message: str | None = None) -> InvalidReceipt:
    return InvalidReceipt(
        message or _("A receipt must be a photo (JPEG, PNG or WebP) or a PDF, whatever its name.")
    )


def _read_capped(upload: IO[bytes]) -> bytes:
    limit = settings.RECEIPT_MAX_BYTES
    too_large = _refuse(_("The receipt is larger than %(mb)d MB.") % {"mb": max(1, limit >> 20)})
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > limit:
        raise too_large
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large
    if not data:
        raise _refuse(_("The receipt file is empty."))
    return data


def _active_content(data: bytes) -> bool:
    def found(chunk: bytes) -> bool:
        return bool(_ACTIVE.search(_NAME_ESCAPE.sub(lambda m: bytes.fromhex(m[1].decode()), chunk)))

    if found(data):
        return True
    budget = max(8 * 1024 * 1024, _INFLATE_FACTOR * len(data))
    view = memoryview(data)  # no copy of the rest of the file per stream
    for match in _STREAM.finditer(data):
        inflater = zlib.decompressobj()
        try:
            chunk = inflater.decompress(view[match.end() :], budget + 1)
        except zlib.error:
            continue  # not Flate (an image's DCT data, say): nothing of ours to read
        budget -= len(chunk)
        if budget < 0:
            raise _refuse(_("The PDF is too complex to check; print it to a new PDF."))
        if found(chunk):
            return True
    return False


def receipt_ingest(upload: IO[bytes]) -> ContentFile:
    """Check an untrusted receipt and return the file to store, under a random name.
    Raises ``InvalidReceipt`` (a form error) with a message saying what is wrong."""
    data = _read_capped(upload)
    token = secrets.token_urlsafe(24)
    if data.startswith(_IMAGE_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        try:
            return photo_ingest(ContentFile(data), stem=token)
        except errors.InvalidImage as exc:
            raise _refuse(exc.message) from exc
    if data.startswith(b"%PDF-"):
        if _active_content(data):
            raise _refuse(
                _(
                    "This PDF contains scripts, actions or attached files; print or scan it "
                    "to a plain PDF."
                )
            )
        return ContentFile(data, name=f"{token}.pdf")
    raise _refuse()
