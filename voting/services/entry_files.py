"""Which of an entry's files are public (docs/files.md).

An entry's photo, thumbnails and poster live in the private storage, where every
service reads and writes them. While the entry is approved, a copy of each sits under
the same name in the public storage (``MEDIA_ROOT``, served by the web server); when it
is not, there is none. :func:`entry_files_sync` makes the public storage say so; it is
idempotent and runs after every change of status or files (moderation, an admin edit,
a new thumbnail or poster), once the change is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

from core.public_cache import public_cache_bump
from core.storage import private_storage, public_storage
from voting.models import Entry

logger = logging.getLogger(__name__)

FILE_FIELDS = ("photo", "thumbnail", "preview", "poster")


def entry_file_names(entry: Entry) -> set[str]:
    return {getattr(entry, field).name for field in FILE_FIELDS if getattr(entry, field)}


def entry_files_publish(names: Iterable[str]) -> None:
    """Copy these private files to the public storage (those not there yet)."""
    private, public = private_storage(), public_storage()
    for name in names:
        if not name or public.exists(name):
            continue
        try:
            with private.open(name, "rb") as source:
                saved = public.save(name, source)
        except FileNotFoundError:
            logger.warning("entry file %s is missing, not published", name)
            continue
        if saved != name:  # a concurrent copy won: the same bytes, keep theirs
            public.delete(saved)


def entry_files_unpublish(names: Iterable[str]) -> None:
    public = public_storage()
    for name in names:
        if name and public.exists(name):
            public.delete(name)


def entry_files_sync(*, entry_id: int, stale: Iterable[str] = ()) -> None:
    """Public copies of the entry's current files if it is approved, none otherwise;
    ``stale`` names (files it no longer uses) leave the public storage either way."""
    entry = (
        Entry.objects.filter(pk=entry_id).only("id", "campaign_id", "status", *FILE_FIELDS).first()
    )
    current = entry_file_names(entry) if entry is not None else set()
    if entry is not None:
        # Every change of what an entry shows (a moderation, an edit, new thumbnails)
        # passes here once it commits: its campaign's public reads are built again.
        public_cache_bump(campaign_id=entry.campaign_id)
    if entry is not None and entry.status == Entry.Status.APPROVED:
        entry_files_publish(sorted(current))
    else:
        entry_files_unpublish(sorted(current))
    entry_files_unpublish(sorted(set(stale) - current))


def entry_files_sync_on_commit(*, entry_ids: Iterable[int], stale: Iterable[str] = ()) -> None:
    """:func:`entry_files_sync` once the current transaction commits (what it reads is
    then what was committed; a rolled-back moderation publishes nothing)."""
    ids, stale = list(entry_ids), list(stale)
    if not ids:
        return

    def sync() -> None:
        for entry_id in ids:
            entry_files_sync(entry_id=entry_id, stale=stale)

    transaction.on_commit(sync)


def entry_public_url(entry: Entry, field: str) -> str | None:
    """The public URL of an approved entry's file (None otherwise)."""
    file = getattr(entry, field)
    if not file or entry.status != Entry.Status.APPROVED:
        return None
    return public_storage().url(file.name)


def entry_image_url(entry: Entry, field: str) -> str | None:
    """The public URL of a thumbnail that matches the photo, else the photo's: never a
    link to a file not drawn yet (the API and the student site alike)."""
    from voting.services.photos import derivative_name  # photos imports this module at top

    image = getattr(entry, field)
    if image and image.name == derivative_name(entry, field):
        return entry_public_url(entry, field)
    return entry_public_url(entry, "photo")
