"""Writes of an entry's derived images: list and detail thumbnails, and the share poster.

Every derived file is named after its inputs, so whether it is current is a comparison
of names, with no I/O:

- a thumbnail is ``entries/thumbs/<photo stem>-<size>.jpg`` (the preview likewise under
  ``entries/previews/``): a new photo or a new size setting makes it stale;
- a poster is ``entries/posters/<share code>-<digest>.jpg``, the digest covering the
  photo, the name, the campaign title, the share URL, the font and the layout version.

So the services below are safe to run twice or concurrently (the second run finds the
names current, or an identical file already stored, and writes nothing), and a missing or
stale derivative is found by comparing names (on read) or by checking storage (the
periodic check). Readers never link to a file that is not there: the API falls back to
the photo and asks for the thumbnail again; the poster endpoint draws a missing poster
on the spot.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse

from campaigns.models import Campaign
from core.errors import InvalidImage
from core.images import derivative_render, jpeg_encode, stored_photo_open
from core.posters import POSTER_VERSION, poster_font, poster_render
from core.text import single_line
from voting import errors
from voting.models import Entry
from voting.services.entry_files import (
    entry_files_publish,
    entry_files_sync_on_commit,
    entry_files_unpublish,
)

logger = logging.getLogger(__name__)

# field -> (folder, setting holding the longer side in pixels)
DERIVATIVES: dict[str, tuple[str, str]] = {
    "thumbnail": ("entries/thumbs", "PHOTO_THUMBNAIL_SIZE"),
    "preview": ("entries/previews", "PHOTO_PREVIEW_SIZE"),
}
POSTER_FOLDER = "entries/posters"
# How long a read that found a stale derivative waits before asking again.


def _stem(name: str) -> str:
    return posixpath.splitext(posixpath.basename(name))[0]


def derivative_name(entry: Entry, field: str) -> str:
    """Where ``field`` of the entry's current photo belongs ("" without a photo)."""
    if not entry.photo:
        return ""
    folder, size_setting = DERIVATIVES[field]
    side = getattr(settings, size_setting)
    return f"{folder}/{_stem(entry.photo.name)}-{side}.jpg"


def entry_derivatives_stale(entry: Entry, *, check_storage: bool = False) -> list[str]:
    """The derivative fields that do not match the entry's photo (by name; with
    ``check_storage`` also those whose file is gone)."""
    stale = []
    for field in DERIVATIVES:
        expected = derivative_name(entry, field)
        current = getattr(entry, field).name or ""
        if current != expected or (
            check_storage and expected and not entry.photo.storage.exists(expected)
        ):
            stale.append(field)
    return stale


def _store(storage, name: str, content: ContentFile) -> str:
    """Save ``content`` as exactly ``name``. A file already there has the same inputs,
    hence the same pixels (a concurrent run, or a run interrupted after storing)."""
    if storage.exists(name):
        return name
    saved = storage.save(name, content)
    if saved != name:  # lost a race with another run storing the same file: keep theirs
        storage.delete(saved)
    return name


def _delete_after_commit(storage, names: Iterable[str]) -> None:
    """Delete files no row points at any more, and their public copies."""
    names = [n for n in names if n]

    def delete() -> None:
        for name in names:
            if storage.exists(name):
                storage.delete(name)
        entry_files_unpublish(names)

    if names:
        transaction.on_commit(delete)


def entry_derivatives_generate(*, entry_id: int) -> list[str]:
    """Draw the entry's missing or stale thumbnails; returns the fields written.

    Idempotent. The row is updated only if its photo is still the one the thumbnails
    were drawn from (a conditional UPDATE: the admin may replace the photo meanwhile).
    """
    entry = Entry.objects.filter(pk=entry_id).only("id", "photo", "status", *DERIVATIVES).first()
    if entry is None:
        logger.info("entry_derivatives_generate: entry %s is gone", entry_id)
        return []
    storage = entry.photo.storage
    stale = entry_derivatives_stale(entry, check_storage=True)
    if not stale:
        return []
    if not entry.photo:
        # No photo, no thumbnails: clear leftovers rather than show another photo's.
        old = [getattr(entry, f).name for f in stale]
        Entry.objects.filter(pk=entry_id, photo="").update(**dict.fromkeys(stale, ""))
        _delete_after_commit(storage, old)
        return stale
    written = {field: derivative_name(entry, field) for field in stale}
    # A file already under its name was drawn from this photo at this size: keep it.
    to_draw = [field for field, name in written.items() if not storage.exists(name)]
    if to_draw:
        try:
            source = stored_photo_open(entry.photo.name, storage)
        except FileNotFoundError:
            logger.error("entry %s: photo file %s is missing", entry_id, entry.photo.name)
            return []
        except InvalidImage as exc:
            logger.error("entry %s: stored photo %s unusable: %s", entry_id, entry.photo, exc)
            return []
        for field in to_draw:
            side = getattr(settings, DERIVATIVES[field][1])
            name = written[field]
            _store(
                storage, name, derivative_render(source, side=side, name=posixpath.basename(name))
            )
    if entry.status == Entry.Status.APPROVED:
        # Public before the row names them: a reader never gets a link to nothing. If
        # the entry was rejected meanwhile, the sync below takes them back.
        entry_files_publish(written.values())
    with transaction.atomic():
        updated = Entry.objects.filter(pk=entry_id, photo=entry.photo.name).update(**written)
        entry_files_sync_on_commit(entry_ids=[entry_id])
        if updated:
            _delete_after_commit(
                storage,
                {getattr(entry, f).name for f in written} - set(written.values()),
            )
    if not updated:
        logger.info("entry %s: photo replaced while drawing thumbnails", entry_id)
        return []
    return list(written)


# --- Posters --------------------------------------------------------------------------


def share_url(share_code: str) -> str:
    """The absolute ``/s/{share_code}`` link printed on posters (``SITE_URL``)."""
    return settings.SITE_URL.rstrip("/") + reverse("share-redirect", args=[share_code])


def poster_name(entry: Entry) -> str:
    """Where the entry's current poster belongs; a change of any input moves it."""
    inputs = "\n".join(
        [
            str(POSTER_VERSION),
            entry.photo.name or "",
            # As drawn (core/text.py): one line, no control characters or surrogates.
            single_line(entry.name),
            single_line(entry.campaign.title),
            share_url(entry.share_code),
            poster_font().label,
        ]
    )
    digest = hashlib.sha256(inputs.encode()).hexdigest()[:16]
    return f"{POSTER_FOLDER}/{entry.share_code}-{digest}.jpg"


def entry_poster_current(entry: Entry) -> bool:
    """Whether the stored poster matches the entry as it is now (by name, no I/O)."""
    return bool(entry.poster) and entry.poster.name == poster_name(entry)


def entry_poster_generate(*, entry_id: int, force: bool = False) -> str | None:
    """Draw the approved entry's share poster unless the current one is stored; return
    its storage name (None if the entry is gone or not approved).

    Idempotent: the poster's name is a digest of what it shows, so a second run finds it.
    ``force`` redraws it all the same (e.g. after the file was damaged).
    """
    entry = Entry.objects.select_related("campaign").filter(pk=entry_id).first()
    if entry is None:
        logger.info("entry_poster_generate: entry %s is gone", entry_id)
        return None
    if entry.status != Entry.Status.APPROVED:
        logger.info("entry_poster_generate: entry %s is %s, no poster", entry_id, entry.status)
        return None
    storage = entry.poster.storage
    name = poster_name(entry)
    if not force and storage.exists(name):
        # Named after what it shows: a file under this name is this poster (drawn by a
        # concurrent run, or before the row was updated).
        if entry.poster.name != name:
            _poster_point(entry, name)
        return name
    photo = None
    if entry.photo:
        try:
            photo = stored_photo_open(entry.photo.name, storage)
        except (FileNotFoundError, InvalidImage):
            logger.error("entry %s: photo %s unusable for the poster", entry_id, entry.photo)
    poster = poster_render(
        photo=photo,
        name=entry.name,
        campaign_title=entry.campaign.title,
        share_url=share_url(entry.share_code),
        share_code=entry.share_code,
    )
    # Quality 90: the QR code's edges stay crisp enough to scan from a phone screen.
    content = jpeg_encode(poster, name=posixpath.basename(name), quality=90)
    if force and storage.exists(name):
        storage.delete(name)
    _store(storage, name, content)
    _poster_point(entry, name)
    return name


def _poster_point(entry: Entry, name: str) -> None:
    entry_files_publish([name])  # the entry is approved (checked by the caller)
    with transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(poster=name)
        entry_files_sync_on_commit(entry_ids=[entry.pk])
        if entry.poster.name and entry.poster.name != name:
            _delete_after_commit(entry.poster.storage, [entry.poster.name])


def entry_poster_ensure(entry: Entry) -> str:
    """The current poster of an approved entry, drawn now if it is missing or stale
    (the API's and admin's download). Raises ``PosterUnavailable`` otherwise."""
    if entry_poster_current(entry) and entry.poster.storage.exists(entry.poster.name):
        return entry.poster.name
    name = entry_poster_generate(entry_id=entry.pk)
    if name is None:
        raise errors.PosterUnavailable()
    entry.poster.name = name
    return name


# --- Scheduling -------------------------------------------------------------------------


def entry_media_enqueue(*, entry_ids: Iterable[int], poster: bool = False) -> None:
    """Ask for the entries' thumbnails (and posters) once the transaction commits."""
    from voting.tasks import photos as tasks_photos  # tasks import this module at top

    for entry_id in entry_ids:
        tasks_photos.entry_derivatives_generate.delay_on_commit(entry_id)
        if poster:
            tasks_photos.entry_poster_generate.delay_on_commit(entry_id)


def campaign_ids_for_media_check() -> list[int]:
    """Campaigns whose entries are shown or canvassed: drafts (posters go out before
    voting opens) and open ones."""
    return list(
        Campaign.objects.filter(
            status__in=(Campaign.Status.DRAFT, Campaign.Status.OPEN)
        ).values_list("id", flat=True)
    )


def entry_media_check_campaign(*, campaign_id: int) -> dict[str, int]:
    """The periodic check: every entry of the campaign whose thumbnails are stale or
    whose files are gone, and every approved entry without its current poster, gets a
    task. Returns how many of each were asked for."""
    entries = (
        Entry.objects.filter(campaign_id=campaign_id)
        .select_related("campaign")
        .only(
            "id",
            "photo",
            "poster",
            "status",
            "name",
            "share_code",
            "campaign__title",
            *DERIVATIVES,
        )
    )
    derivatives, posters = [], []
    for entry in entries.iterator(chunk_size=500):
        if entry.photo and entry_derivatives_stale(entry, check_storage=True):
            derivatives.append(entry.pk)
        if entry.status == Entry.Status.APPROVED and not (
            entry_poster_current(entry) and entry.poster.storage.exists(entry.poster.name)
        ):
            posters.append(entry.pk)
    from voting.tasks import photos as tasks_photos

    for entry_id in derivatives:
        tasks_photos.entry_derivatives_generate.delay_on_commit(entry_id)
    for entry_id in posters:
        tasks_photos.entry_poster_generate.delay_on_commit(entry_id)
    return {"derivatives": len(derivatives), "posters": len(posters)}
