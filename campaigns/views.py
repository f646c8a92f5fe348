"""The one way out of the private storage for a reader (docs/files.md): a file of a row
the reader may see in the admin — the same school scoping (``scope_queryset``) and the
same object permission (``<app>.view_<model>``, django-rules) — sent by
``core.storage.private_file_response``. Everything else, anonymous readers included,
is a 404: a private file's existence is not disclosed.
"""

from __future__ import annotations

import posixpath

from django.apps import apps
from django.http import Http404, HttpRequest
from django.views.decorators.http import require_safe

from campaigns.scoping import scope_queryset
from core.storage import private_file_response

# model (app_label.model_name) -> its file fields a reader may fetch. Names a higher
# layer (voting): resolved by tests/campaigns/test_private_files.py.
PRIVATE_FILE_FIELDS: dict[str, tuple[str, ...]] = {
    "campaigns.expense": ("receipt",),
    "voting.entry": ("photo", "thumbnail", "preview", "poster"),
}


@require_safe
def private_file(request: HttpRequest, label: str, pk: int, field: str, name: str):
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise Http404
    if field not in PRIVATE_FILE_FIELDS.get(label, ()):
        raise Http404
    model = apps.get_model(label)
    obj = scope_queryset(model._default_manager.filter(pk=pk), user).first()
    opts = model._meta
    if obj is None or not user.has_perm(f"{opts.app_label}.view_{opts.model_name}", obj):
        raise Http404
    file = getattr(obj, field)
    # The name in the URL is the stored one: a link to a replaced file stops working.
    if not file or posixpath.basename(file.name) != name:
        raise Http404
    download = f"{opts.model_name}-{obj.pk}-{field}{posixpath.splitext(name)[1]}"
    return private_file_response(request, file.name, download_name=download)
