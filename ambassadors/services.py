"""Writes of the ambassadors app: interns' referral codes and the approval of work logs."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from ambassadors.models import Ambassador, WorkLog
from campaigns.audit import audit_record
from core.codes import new_code


def ambassador_referral_code_assign(*, ambassador: Ambassador) -> Ambassador:
    """Give an ambassador (built by a form or an import row) a referral code if it has
    none; the unique constraint on the code refuses the rare collision."""
    if not ambassador.referral_code:
        ambassador.referral_code = new_code()
    return ambassador


def worklogs_approve(*, worklog_ids: Iterable[int], actor: Any) -> int:
    """Approve work logs (their hours then count as labour cost); returns how many changed.

    One audit row per school names who approved how many hours of which logs. The rows
    are locked first, so two staff members approving the same logs at once approve and
    audit each log once.
    """
    with transaction.atomic():
        pending = list(
            WorkLog.objects.select_for_update()
            .filter(pk__in=list(worklog_ids), approved=False)
            .values_list("pk", "hours", "ambassador__school_id")
        )
        WorkLog.objects.filter(pk__in=[pk for pk, _, _ in pending]).update(approved=True)
        by_school: dict[int, list[tuple[int, Any]]] = defaultdict(list)
        for pk, hours, school_id in pending:
            by_school[school_id].append((pk, hours))
        for school_id, logs in sorted(by_school.items()):
            audit_record(
                actor=actor,
                action="worklogs.approve",
                school_id=school_id,
                data={
                    "work_logs": [pk for pk, _ in logs],
                    "hours": str(sum(hours for _, hours in logs)),
                },
            )
    return len(pending)
