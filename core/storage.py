"""Where stored files live, and how a private one is sent (docs/files.md).

Two storages:

- ``default`` (``MEDIA_ROOT``, served at ``MEDIA_URL`` by the web server): only the
  published copies of approved entries' photos, thumbnails and posters;
- ``private`` (``PRIVATE_MEDIA_ROOT``, outside every public URL): everything else that
  is stored — every entry's own files, receipts, import jobs' parsed sheets, import
  previews (django-import-export's ``import_export`` storage). Its files have no URL;
  a view that has checked the reader's permission sends one with
  :func:`private_file_response`.

Names are drawn with :func:`unguessable_name`: a folder, a random token and an
extension we chose, never the uploader's file name.
"""

from __future__ import annotations

import posixpath
import re
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.admin.widgets import AdminFileWidget
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property
from django_sendfile import sendfile
from import_export.tmp_storages import MediaStorage

# What a file we serve is, decided by what we stored (never guessed from its name).
IMAGE_TYPES = {".jpg": "image/jpeg"}
DOWNLOAD_TYPES = {".pdf": "application/pdf"}


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Files under ``PRIVATE_MEDIA_ROOT``, which no URL maps to: asking one for its URL is
    a bug (link to the view that checks permissions instead)."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":  # tests override it
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name: str | None) -> str:
        raise ValueError(f"private file {name!r} has no URL; link to the file view instead")


def private_storage() -> Storage:
    """The private storage (``STORAGES["private"]``), for ``FileField(storage=...)``."""
    return storages["private"]


def public_storage() -> Storage:
    return storages["default"]


def unguessable_name(folder: str, extension: str) -> str:
    """``<folder>/YYYY/MM/<32 random characters><extension>``."""
    month = timezone.localdate().strftime("%Y/%m")
    return posixpath.join(folder, month, secrets.token_urlsafe(24) + extension)


def private_file_response(request, name: str, *, download_name: str):
    """Send a private file a view has already authorised: JPEGs inline, anything else as an
    attachment, never sniffed, rendered in a sandbox if a browser tries (django-sendfile2:
    ``FileResponse`` in development, ``X-Accel-Redirect`` or ``X-Sendfile`` in
    production, by ``SENDFILE_BACKEND``)."""
    extension = posixpath.splitext(name)[1].lower()
    image = extension in IMAGE_TYPES
    mimetype = IMAGE_TYPES.get(extension) or DOWNLOAD_TYPES.get(
        extension, "application/octet-stream"
    )
    path = Path(private_storage().path(name))
    response = sendfile(
        request,
        str(path),
        attachment=not image,
        attachment_filename=download_name,
        mimetype=mimetype,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even opened directly, nothing in the file runs: no script, no plugin, no origin.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=0, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


class PreviewStorage(MediaStorage):
    """django-import-export's stash between preview and confirm, in the private storage
    (``STORAGES["import_export"]``). Its names are the library's ``uuid4().hex``; a name
    posted back by a browser is checked before it reaches a path."""

    NAME = re.compile(r"[0-9a-f]{32}")

    @classmethod
    def is_valid_name(cls, name: str) -> bool:
        return bool(cls.NAME.fullmatch(name or ""))

    def exists(self) -> bool:
        return self.is_valid_name(self.name) and self._storage.exists(self.get_full_path())


def private_file_url(file) -> str:
    """The URL of the view that sends a model's private file (``FieldFile``) after
    checking the reader may see its row (campaigns/views.py)."""
    instance = file.instance
    return reverse(
        "private-file",
        args=[
            instance._meta.label_lower,
            instance.pk,
            file.field.name,
            posixpath.basename(file.name),
        ],
    )


class _LinkedFile:
    """A stored file as a form widget shows it: its name, linked to the file view."""

    def __init__(self, file) -> None:
        self.file = file
        self.url = private_file_url(file)

    def __str__(self) -> str:
        return posixpath.basename(self.file.name)


class PrivateFileWidget(AdminFileWidget):
    """The admin's file input for a private file: "Currently: <name>" links to the file
    view (the storage has no URL)."""

    def is_initial(self, value) -> bool:
        return bool(value and getattr(value, "name", None) and getattr(value, "instance", None))

    def format_value(self, value):
        if self.is_initial(value) and value.instance.pk:
            return _LinkedFile(value)
        return None
