"""Moderating one entry: approve it, or reject it with a reason the contestant is told.

Operations staff moderate (interns submit contestants), entry by entry from the entries
list (voting/admin/entries.py); each decision writes the audit log. A rejection stores
its reason on the entry, where the student site shows it to the contestant, and texts
the contestant through ``core.sms`` from a worker once it commits, like the one-time
codes and the prize SMS (docs/moderation.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.audit import audit_record
from campaigns.rules import is_ops
from campaigns.scoping import scope_queryset
from core.errors import DomainError
from core.sms import sms_send
from core.text import is_control
from voting.models import Entry
from voting.services.entry_files import entry_files_sync_on_commit
from voting.services.photos import entry_media_enqueue

logger = logging.getLogger(__name__)
Reason = Entry.RejectionReason
NOTE_MAX_LENGTH = Entry._meta.get_field("rejection_note").max_length


@dataclass(frozen=True)
class Moderated:
    """What the moderator is told: the entry, and whether its contestant gets an SMS."""

    entry: Entry
    changed: bool
    contestant_texted: bool = False


def _entry_for_moderation(*, entry_id: int, actor: Any) -> Entry:
    """The entry locked for the decision, once ``actor`` may decide on it."""
    entry = (
        # Only the entry's row: PostgreSQL cannot lock the nullable side of the outer
        # join to its voter (https://www.postgresql.org/docs/15/sql-select.html#SQL-FOR-UPDATE-SHARE).
        scope_queryset(Entry.objects.select_for_update(of=("self",)), actor)
        .filter(pk=entry_id)
        .select_related("campaign__pilot", "voter")
        .first()
    )
    if entry is None:
        if Entry.objects.filter(pk=entry_id).exists():
            raise DomainError(_("This entry belongs to another school."))
        raise DomainError(_("This entry does not exist (any more)."))
    if not is_ops(actor):
        raise DomainError(_("Only operations staff moderate entries."))
    return entry


def _clean_note(note: str) -> str:
    note = " ".join(str(note or "").split())
    if any(is_control(char) for char in note):
        raise DomainError(_("Remove the control characters from the note."))
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(
            _("Keep the note under %(n)d characters: it is sent by SMS.") % {"n": NOTE_MAX_LENGTH}
        )
    return note


def entry_reject(*, entry_id: int, actor: Any, reason: str, note: str = "") -> Moderated:
    """Reject an entry with one of the common reasons (``other`` needs a note), audited;
    the contestant is texted the reason after commit when their account has a phone.

    Bad input raises ``DomainError`` before anything is written. Rejecting an entry again
    with the same reason changes nothing and texts nobody; a new reason is stored and
    sent.
    """
    if reason not in Reason.values:
        raise DomainError(_("Choose why the entry is rejected."))
    note = _clean_note(note)
    if reason == Reason.OTHER and not note:
        raise DomainError(_("Say why in the note when the reason is “other”."))
    with transaction.atomic():
        entry = _entry_for_moderation(entry_id=entry_id, actor=actor)
        if (entry.status, entry.rejection_reason, entry.rejection_note) == (
            Entry.Status.REJECTED,
            reason,
            note,
        ):
            return Moderated(entry=entry, changed=False)
        before = entry.status
        entry.status = Entry.Status.REJECTED
        entry.rejection_reason, entry.rejection_note = reason, note
        entry.rejection_notified_at = None  # this rejection is told anew
        entry.save(
            update_fields=["status", "rejection_reason", "rejection_note", "rejection_notified_at"]
        )
        # Its public copies leave the public storage (docs/files.md).
        entry_files_sync_on_commit(entry_ids=[entry.pk])
        audit_record(
            actor=actor,
            action="entry.reject",
            target=entry,
            reason=entry.rejection_text(),
            data={"reason": reason, "note": note, "status_before": before},
        )
        texted = bool(entry.voter_id and entry.voter.phone)
        if texted:
            _notify_later(entry_id=entry.pk)
    return Moderated(entry=entry, changed=True, contestant_texted=texted)


def entry_approve(*, entry_id: int, actor: Any) -> Moderated:
    """Approve an entry, audited; a rejection reason it had is cleared. Its share poster
    is drawn and its files made public after commit."""
    with transaction.atomic():
        entry = _entry_for_moderation(entry_id=entry_id, actor=actor)
        if entry.status == Entry.Status.APPROVED:
            return Moderated(entry=entry, changed=False)
        before = entry.status
        entry.status = Entry.Status.APPROVED
        entry.rejection_reason = entry.rejection_note = ""
        entry.rejection_notified_at = None
        entry.save(
            update_fields=["status", "rejection_reason", "rejection_note", "rejection_notified_at"]
        )
        entry_media_enqueue(entry_ids=[entry.pk], poster=True)
        entry_files_sync_on_commit(entry_ids=[entry.pk])
        audit_record(
            actor=actor, action="entry.approve", target=entry, data={"status_before": before}
        )
    return Moderated(entry=entry, changed=True)


def _notify_later(*, entry_id: int) -> None:
    # Imported here: the tasks import this module at their top (docs/architecture.md).
    from voting.tasks.moderation import entry_rejection_notify_task

    transaction.on_commit(lambda: entry_rejection_notify_task.delay(entry_id))


def entry_rejection_sms_text(entry: Entry) -> str:
    """The SMS, in the site's language (the worker has no request to take one from)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(
            "Your entry “%(entry)s” in %(campaign)s was not approved: %(reason)s. "
            "You may submit another photo while entries are open."
        ) % {
            "entry": entry.name,
            "campaign": entry.campaign.title,
            "reason": entry.rejection_text(),
        }


def entry_rejection_notify(*, entry_id: int) -> bool:
    """Text the contestant why their entry was rejected, once per rejection (the worker's
    side); returns whether a message went out. Nothing when the entry is no longer
    rejected (approved since) or its contestant has no phone."""
    entry = Entry.objects.select_related("voter", "campaign").filter(pk=entry_id).first()
    if entry is None or entry.status != Entry.Status.REJECTED or entry.rejection_notified_at:
        return False
    phone = entry.voter.phone if entry.voter_id else ""
    if not phone:
        return False
    # Claimed first, so a redelivered task does not text the contestant twice.
    if not Entry.objects.filter(
        pk=entry.pk, status=Entry.Status.REJECTED, rejection_notified_at__isnull=True
    ).update(rejection_notified_at=timezone.now()):
        return False
    try:
        sms_send(to=phone, code="", text=entry_rejection_sms_text(entry))
    except Exception:
        Entry.objects.filter(pk=entry.pk).update(rejection_notified_at=None)  # a retry sends it
        raise
    # No phone, name or reason in the log: the entry id finds them for who may see them.
    logger.info("rejection SMS sent for entry %s", entry.pk)
    return True
