"""Writing the audit log: one row per state change that staff must be able to explain."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

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
