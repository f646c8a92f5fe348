"""Writes of the campaigns app."""

from typing import Any

from django.utils import timezone

from .audit import audit_record
from .models import Campaign

# The vote policy: frozen once voting opens (SPEC "Vote policy").
POLICY_FIELDS = ("votes_per_day", "votes_per_entry_per_day", "school_voters_only")


def campaign_policy_frozen(*, campaign: Campaign) -> bool:
    """Whether voting has opened, so the policy and prizes are frozen."""
    return campaign.pk is not None and campaign.voting_starts_at <= timezone.now()


def campaign_record_frozen_change(
    *, campaign: Campaign, actor: Any, reason: str, changes: dict[str, Any]
) -> None:
    """Audit a change staff made to a frozen policy or prize list: who, when and why."""
    audit_record(
        actor=actor,
        action="campaign.policy_change",
        target=campaign,
        reason=reason,
        data=changes,
    )
