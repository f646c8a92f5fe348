"""Writes of entries: contestants' own submissions through the API, and moderation."""

from collections.abc import Collection, Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import Campaign
from core.codes import new_code
from core.images import photo_ingest
from voting import errors
from voting.models import Entry, Voter
from voting.selectors.public import round_for_submission
from voting.services.photos import entry_media_enqueue


def entry_submit(
    *,
    voter: Voter,
    campaign: Campaign,
    name: str,
    caption: str = "",
    photo,
    at: datetime | None = None,
) -> Entry:
    """A voter enters a campaign's current round: the entry waits for moderation.

    Raises ``SubmissionsClosed`` outside the campaign's submission window and
    ``InvalidImage`` for anything but a decodable JPEG/PNG/WebP photo (checked and
    re-encoded before anything is written). Thumbnails follow from a task after commit.
    """
    at = at or timezone.now()
    if not (
        campaign.status == Campaign.Status.OPEN
        and campaign.submission_starts_at <= at < campaign.submission_ends_at
    ):
        raise errors.SubmissionsClosed()
    round_ = round_for_submission(campaign=campaign, at=at)
    if round_ is None:
        raise errors.SubmissionsClosed()
    stored_photo = photo_ingest(photo, stem=f"c{campaign.pk}-{new_code(10).lower()}")
    for _attempt in range(5):
        entry = Entry(
            campaign=campaign,
            round=round_,
            name=name,
            caption=caption,
            status=Entry.Status.PENDING,
            voter=voter,
            share_code=new_code(),
        )
        entry.photo.save(stored_photo.name, stored_photo, save=False)
        try:
            with transaction.atomic():
                entry.save()
                # A voter who arrived without a referral is attributed to the campaign of
                # their first vote or entry; conditional so the first one wins.
                Voter.objects.filter(pk=voter.pk, attributed_campaign__isnull=True).update(
                    attributed_campaign=campaign
                )
                entry_media_enqueue(entry_ids=[entry.pk])
        except IntegrityError:
            # A share code collision (1 in 31^8): draw again. Remove the stored file.
            entry.photo.delete(save=False)
            continue
        return entry
    raise errors.DomainError()


def entry_moderate(*, entry_ids: Iterable[int], status: str) -> int:
    """Set the moderation status of entries; returns how many changed. Entries newly
    approved get their share poster drawn by a task once this commits."""
    if status not in Entry.Status.values:
        raise ValueError(f"unknown entry status {status!r}")
    with transaction.atomic():
        changed = list(
            Entry.objects.filter(pk__in=list(entry_ids))
            .exclude(status=status)
            .values_list("pk", flat=True)
        )
        Entry.objects.filter(pk__in=changed).update(status=status)
        if status == Entry.Status.APPROVED:
            entry_media_enqueue(entry_ids=changed, poster=True)
    return len(changed)


def entry_media_after_edit(*, entry: Entry, changed: Collection[str]) -> None:
    """After an admin edit: thumbnails for a new photo, and a new share poster when an
    approved entry's photo, name or status changed (each once this commits)."""
    poster = entry.status == Entry.Status.APPROVED and bool(
        {"photo", "name", "status", "campaign"} & set(changed)
    )
    if "photo" in changed or poster:
        entry_media_enqueue(entry_ids=[entry.pk], poster=poster)
