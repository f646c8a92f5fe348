"""Writes of contestants' own submissions through the API."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.codes import new_code
from campaigns.models import Campaign

from . import errors
from .models import Entry, Voter
from .photos import photo_process
from .selectors_public import round_for_submission


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
    ``InvalidImage`` for anything but a decodable JPEG/PNG/WebP photo.
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
    processed = photo_process(photo, stem=f"c{campaign.pk}-{new_code(10).lower()}")
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
        entry.photo.save(processed.photo.name, processed.photo, save=False)
        entry.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
        try:
            with transaction.atomic():
                entry.save()
                # A voter who arrived without a referral is attributed to the campaign of
                # their first vote or entry; conditional so the first one wins.
                Voter.objects.filter(pk=voter.pk, attributed_campaign__isnull=True).update(
                    attributed_campaign=campaign
                )
        except IntegrityError:
            # A share code collision (1 in 31^8): draw again. Remove the stored files.
            entry.photo.delete(save=False)
            entry.thumbnail.delete(save=False)
            continue
        return entry
    raise errors.DomainError()
