"""Writes of entries: contestants' own submissions through the API, and moderation."""

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from campaigns.audit import audit_record
from campaigns.models import Campaign, Round
from campaigns.rules import is_ops
from core.codes import new_code
from core.images import photo_ingest
from voting import errors
from voting.models import Entry, Voter
from voting.selectors.public import round_for_submission
from voting.services.entry_files import entry_files_sync_on_commit
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

    Raises ``SubmissionsClosed`` outside the campaign's submission window,
    ``InvalidImage`` for anything but a decodable JPEG/PNG/WebP photo (checked and
    re-encoded before anything is written), and ``SubmissionLimitReached`` once the voter
    has ``ENTRY_MAX_PER_VOTER_PER_ROUND`` entries in the round (rejected ones do not
    count: a contestant may try again). Thumbnails follow from a task after commit.
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
    entry = entry_build(campaign=campaign, round_=round_, name=name, caption=caption, voter=voter)
    entry.photo.save(stored_photo.name, stored_photo, save=False)
    try:
        with transaction.atomic():
            _submission_slot_take(voter=voter, round_=round_)
            entry_create(entry=entry)
            # A voter who arrived without a referral is attributed to the campaign of
            # their first vote or entry; conditional so the first one wins.
            Voter.objects.filter(pk=voter.pk, attributed_campaign__isnull=True).update(
                attributed_campaign=campaign
            )
    except BaseException:
        entry.photo.delete(save=False)
        raise
    return entry


def _submission_slot_take(*, voter: Voter, round_: Round) -> None:
    """Refuse a submission past the per-round limit. Count-then-insert races (two
    uploads at once would both see room), so the voter's row is locked first: on
    PostgreSQL ``SELECT ... FOR UPDATE`` queues a voter's concurrent submissions, and on
    SQLite (where FOR UPDATE is a no-op) the IMMEDIATE transactions of
    config/settings/base.py hold the database's write lock from the start of this block.
    """
    limit = settings.ENTRY_MAX_PER_VOTER_PER_ROUND
    Voter.objects.select_for_update().filter(pk=voter.pk).values_list("pk").first()
    taken = (
        Entry.objects.filter(round=round_, voter=voter)
        .exclude(status=Entry.Status.REJECTED)
        .count()
    )
    if taken >= limit:
        raise errors.SubmissionLimitReached(
            ngettext(
                "You have already submitted an entry to this round.",
                "You have already submitted %(n)d entries to this round.",
                limit,
            )
            % {"n": limit}
        )


def entry_build(
    *,
    campaign: Campaign,
    round_: Round,
    name: str,
    student_id: str = "",
    caption: str = "",
    status: str = Entry.Status.PENDING,
    voter: Voter | None = None,
    submitted_by: Any = None,
) -> Entry:
    """A new, unsaved entry with a fresh share code: the one place share codes are drawn.
    ``entry_create`` saves it; a roster import saves many at once with ``bulk_create``."""
    return Entry(
        campaign=campaign,
        round=round_,
        name=name,
        student_id=student_id,
        caption=caption,
        status=status,
        voter=voter,
        submitted_by=submitted_by,
        share_code=new_code(),
    )


def entry_create(*, entry: Entry) -> Entry:
    """Save a new entry (from ``entry_build`` or an admin form) and draw its thumbnails
    (and its poster, when it is approved) in a task once this commits.

    A share code that another entry took in the meantime (1 in 31^8) is drawn again; any
    other refusal of the database is the caller's to report.
    """
    for _attempt in range(5):
        entry.share_code = entry.share_code or new_code()
        try:
            with transaction.atomic():
                entry.save(force_insert=True)
                entry_media_enqueue(
                    entry_ids=[entry.pk], poster=entry.status == Entry.Status.APPROVED
                )
                if entry.status == Entry.Status.APPROVED:
                    entry_files_sync_on_commit(entry_ids=[entry.pk])
        except IntegrityError:
            if not Entry.objects.filter(share_code=entry.share_code).exists():
                raise
            entry.pk = None
            entry.share_code = ""
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
        cleared = {}
        if status == Entry.Status.APPROVED:
            # Approving clears an earlier rejection's reason (voting/services/moderation.py).
            cleared = {"rejection_reason": "", "rejection_note": "", "rejection_notified_at": None}
        Entry.objects.filter(pk__in=changed).update(status=status, **cleared)
        if status == Entry.Status.APPROVED:
            entry_media_enqueue(entry_ids=changed, poster=True)
        # Approved: its files are copied to public storage; anything else: they leave it.
        entry_files_sync_on_commit(entry_ids=changed)
    return len(changed)


# What a contestant's entry shows (or where): an approved entry whose photo, name,
# caption, campaign or round an intern changes goes back to moderation.
SHOWN_FIELDS = frozenset({"photo", "name", "caption", "campaign", "round"})


def entry_edit_needs_moderation(*, status: str, changed: Collection[str], actor: Any) -> bool:
    """Whether an edit by ``actor`` sends an entry of ``status`` back to moderation.
    Operations staff moderate, so their edits stand; so do the system's (no actor)."""
    return (
        status == Entry.Status.APPROVED
        and bool(SHOWN_FIELDS & set(changed))
        and not (actor is None or is_ops(actor))
    )


def entry_update(
    *,
    entry: Entry,
    changed: Collection[str],
    actor: Any,
    previous_files: Collection[str] = (),
) -> Entry:
    """Save an edited entry (the admin form's instance; ``changed`` its changed fields).

    An approved entry that an intern edits where it shows (photo, name, caption, ...)
    returns to ``pending``, audited, so that what is public is always what staff approved;
    whatever status the form carried. The stored row is locked so the status this edit
    is judged against is the one it replaces.
    """
    with transaction.atomic():
        stored = (
            Entry.objects.select_for_update()
            .filter(pk=entry.pk)
            .values_list("status", flat=True)
            .first()
        )
        changed = set(changed)
        if not (actor is None or is_ops(actor)):
            entry.status = stored or Entry.Status.PENDING  # moderation is not theirs
        if entry_edit_needs_moderation(status=stored, changed=changed, actor=actor):
            entry.status = Entry.Status.PENDING
            changed.add("status")
            audit_record(
                actor=actor,
                action="entry.back_to_moderation",
                target=entry,
                school_id=entry.campaign.pilot.school_id,
                data={"changed": sorted(SHOWN_FIELDS & changed)},
            )
        entry.save()
        entry_media_after_edit(entry=entry, changed=changed, previous_files=previous_files)
    return entry


def entry_media_after_edit(
    *, entry: Entry, changed: Collection[str], previous_files: Collection[str] = ()
) -> None:
    """After an admin edit: thumbnails for a new photo, and a new share poster when an
    approved entry's photo, name or status changed (each once this commits); public
    copies follow the status, and files the entry no longer uses (``previous_files``)
    leave the public storage."""
    poster = entry.status == Entry.Status.APPROVED and bool(
        {"photo", "name", "status", "campaign"} & set(changed)
    )
    if "photo" in changed or poster:
        entry_media_enqueue(entry_ids=[entry.pk], poster=poster)
    if entry.status == Entry.Status.APPROVED or "status" in changed or previous_files:
        entry_files_sync_on_commit(entry_ids=[entry.pk], stale=previous_files)
