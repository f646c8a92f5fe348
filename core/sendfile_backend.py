"""django-sendfile2 backend for development and tests (``SENDFILE_BACKEND=django``):
Django's ``FileResponse``, streamed, where the library's "simple" backend reads the
whole file into memory. Production names nginx's or Apache's backend instead
(docs/files.md)."""

from pathlib import Path

from django.http import FileResponse


def sendfile(request, filepath: Path, **kwargs) -> FileResponse:
    return FileResponse(filepath.open("rb"))
