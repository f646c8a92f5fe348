"""Writing the audit log: one row per state change that staff must be able to explain."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models import AuditLog


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    school_id: int | None = None,
    reason: str = "",
    data: dict | None = None,
) -> AuditLog:
    if school_id is None and target is not None:
        school_id = getattr(target, "school_id", None)
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        school_id=school_id,
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:200] if target is not None else "",
        reason=reason,
        data=data or {},
    )


# What each action code means, for people reading the log (campaigns/admin_audit.py).
# Codes are written by services across the apps and stay as they are in the rows; a test
# (tests/campaigns/test_audit_admin.py) finds every code the tree writes and fails on one
# without a label here.
AUDIT_ACTIONS: dict[str, Any] = {
    "campaign.policy_change": _("Vote policy or windows changed after voting opened"),
    "round.change_after_opening": _("Round changed after voting opened"),
    "prize.change_after_opening": _("Prize changed after voting opened"),
    "pilot.replicate": _("Pilot replicated to another school"),
    "import.ambassadors": _("Ambassador roster imported"),
    "import.contestants": _("Contestants imported"),
    "import.worklogs": _("Work hours imported"),
    "import.expenses": _("Expenses imported"),
    "import_job.retry": _("Failed import started again"),
    "ambassador.pay": _("Ambassador pay changed"),
    "worklogs.approve": _("Work hours approved"),
    "worklog.change": _("Approved work hours changed"),
    "worklog.delete": _("Work hours deleted"),
    "votes.invalidate": _("Votes invalidated"),
    "fraud_flag.dismiss": _("Fraud flag dismissed"),
    "voters.sign_out": _("Voters signed out"),
    "entry.approve": _("Entry approved"),
    "entry.back_to_moderation": _("Entry sent back to moderation"),
    "entry.reject": _("Entry rejected"),
    "leaderboard.final_revise": _("Final standing revised"),
    "prize_awards.sync": _("Prize winners updated from the standing"),
    "prize_award.contacted": _("Prize winner contacted"),
    "prize_award.handed_out": _("Prize handed out"),
    "prize_award.forfeited": _("Prize forfeited"),
    "report.retry": _("Failed report started again"),
}


def audit_action_label(code: str) -> str:
    """The action in the reader's language; an unknown (older) code as it is."""
    label = AUDIT_ACTIONS.get(code)
    return str(label) if label is not None else code
