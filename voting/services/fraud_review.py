"""Staff close a fraud flag: confirm it (its valid suspect votes are invalidated) or
dismiss it; both write the audit log.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from campaigns.audit import audit_record
from core.errors import DomainError
from voting.models import FraudFlag, Vote
from voting.services.votes import vote_invalidate

logger = logging.getLogger(__name__)


# --- Review -------------------------------------------------------------------------------


def fraud_flag_confirm(*, flag_id: int, actor: Any, reason: str) -> int:
    """Confirm a flag: invalidate its still-valid suspect votes with ``reason`` (through
    ``vote_invalidate``, which writes the audit log and recomputes the leaderboard after
    commit) and record who confirmed it. Returns how many votes were invalidated."""
    reason = reason.strip()
    if not reason:
        raise DomainError("A reason is required to confirm a fraud flag.")
    with transaction.atomic():
        flag = FraudFlag.objects.select_for_update().get(pk=flag_id)
        vote_ids = list(flag.votes.filter(status=Vote.Status.VALID).values_list("pk", flat=True))
        n = vote_invalidate(
            vote_ids=vote_ids, actor=actor, reason=f"{reason} (fraud flag #{flag.pk})"
        )
        flag.status = FraudFlag.Status.CONFIRMED
        flag.reviewed_by = actor if getattr(actor, "pk", None) else None
        flag.reviewed_at = timezone.now()
        flag.review_note = reason
        flag.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        # One farm raises several flags over the same votes (its phone, its script's
        # user agent). An open flag left without a valid suspect vote has nothing more
        # to review: it is confirmed with this one. One with valid votes left stays open.
        covered = list(
            FraudFlag.objects.filter(status=FraudFlag.Status.OPEN, votes__in=vote_ids)
            .exclude(votes__status=Vote.Status.VALID)
            .values_list("pk", flat=True)
            .distinct()
        )
        FraudFlag.objects.filter(pk__in=covered, status=FraudFlag.Status.OPEN).update(
            status=FraudFlag.Status.CONFIRMED,
            reviewed_by=flag.reviewed_by,
            reviewed_at=flag.reviewed_at,
            review_note=gettext("Confirmed with fraud flag #%(flag)s: %(reason)s")
            % {"flag": flag.pk, "reason": reason},
        )
    return n


def fraud_flag_dismiss(*, flag_id: int, actor: Any, note: str) -> None:
    """Dismiss a flag as honest, saying why; a rescan leaves it dismissed unless new
    suspect votes appear under the same pattern."""
    note = note.strip()
    if not note:
        raise DomainError("Say why the flag is dismissed.")
    with transaction.atomic():
        flag = FraudFlag.objects.select_for_update().get(pk=flag_id)
        if flag.status == FraudFlag.Status.CONFIRMED:
            # Its votes are invalidated; restoring votes is not what dismissing means.
            raise DomainError("This flag is confirmed and its votes invalidated.")
        flag.status = FraudFlag.Status.DISMISSED
        flag.reviewed_by = actor if getattr(actor, "pk", None) else None
        flag.reviewed_at = timezone.now()
        flag.review_note = note
        flag.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        audit_record(
            actor=actor,
            action="fraud_flag.dismiss",
            target=flag,
            reason=note,
            data={"kind": flag.kind, "key": flag.key, "votes": flag.votes.count()},
        )
