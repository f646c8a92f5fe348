"""Writes of the ambassadors app: the roster (pay is for operations staff alone, and
audited), interns' referral codes, and work logs (approved hours are locked for interns).
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _

from ambassadors.models import Ambassador, WorkLog
from campaigns.audit import audit_record
from campaigns.rules import is_ops
from core.codes import new_code
from core.errors import DomainError

# What an ambassador is paid: labour cost follows these, so only operations staff set them.
PAY_FIELDS = ("hourly_rate", "stipend")
# The fields of a work log an audit row compares.
WORKLOG_FIELDS = ("ambassador", "date", "hours", "task", "approved")


class PayChangeRefused(DomainError):
    code = "forbidden"
    status = 403
    default_message = _("Only operations staff can set or change pay (hourly rate, stipend).")


class WorkLogApproved(DomainError):
    code = "forbidden"
    status = 403
    default_message = _(
        "These hours are approved; only operations staff can change or delete them."
    )


def _staff(actor: Any) -> bool:
    """Operations staff, or the system itself (a command or the seeder: no actor)."""
    return actor is None or is_ops(actor)


def _money(value: Any) -> Decimal:
    return Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal("0.01"))


def pay_changes(*, old: dict[str, Any] | None, new: Ambassador) -> dict[str, dict]:
    """``{field: {"old": "25.00" or None, "new": "30.00"}}`` for each pay field that
    differs from ``old`` (None: a new ambassador, whose pay so far is nothing)."""
    changes = {}
    for name in PAY_FIELDS:
        before = _money(old[name]) if old is not None else Decimal("0.00")
        after = _money(getattr(new, name))
        if before != after:
            changes[name] = {"old": str(before) if old is not None else None, "new": str(after)}
    return changes


def ambassador_pay_changes_record(
    *, changes: Iterable[tuple[Ambassador, dict[str, dict]]], actor: Any
) -> None:
    """One audit row per ambassador whose pay changed, with the old and new values."""
    for ambassador, fields in changes:
        if fields:
            audit_record(
                actor=actor,
                action="ambassador.pay",
                target=ambassador,
                data={"changes": fields},
            )


def ambassador_save(*, ambassador: Ambassador, actor: Any) -> Ambassador:
    """Save a new or edited ambassador (the admin form's instance).

    Pay (hourly rate, stipend) is set by operations staff only: an intern who manages
    their team's roster cannot raise their own rate, whatever the form sent
    (``PayChangeRefused``). Every change of pay is audited with its old and new value.
    The stored row is locked first, so the "old" of the audit row is what was replaced.
    """
    with transaction.atomic():
        old = None
        if ambassador.pk is not None:
            old = (
                Ambassador.objects.select_for_update()
                .filter(pk=ambassador.pk)
                .values(*PAY_FIELDS)
                .first()
            )
        changes = pay_changes(old=old, new=ambassador)
        if changes and not _staff(actor):
            raise PayChangeRefused()
        ambassador_referral_code_assign(ambassador=ambassador)
        ambassador.save()
        ambassador_pay_changes_record(changes=[(ambassador, changes)], actor=actor)
    return ambassador


def ambassador_referral_code_assign(*, ambassador: Ambassador) -> Ambassador:
    """Give an ambassador (built by a form or an import row) a referral code if it has
    none; the unique constraint on the code refuses the rare collision."""
    if not ambassador.referral_code:
        ambassador.referral_code = new_code()
    return ambassador


def worklogs_approve(*, worklog_ids: Iterable[int], actor: Any) -> int:
    """Approve work logs (their hours then count as labour cost); returns how many changed.

    One audit row per school names who approved how many hours of which logs, each log
    with its ambassador, date, hours and its approval's old and new value. The rows are
    locked first, so two staff members approving the same logs at once approve and audit
    each log once. Operations staff only: an intern approving hours is refused.
    """
    if not _staff(actor):
        raise WorkLogApproved(_("Only operations staff can approve hours."))
    with transaction.atomic():
        pending = list(
            WorkLog.objects.select_for_update()
            .filter(pk__in=list(worklog_ids), approved=False)
            .order_by("pk")
            .values_list("pk", "hours", "ambassador_id", "date", "ambassador__school_id")
        )
        WorkLog.objects.filter(pk__in=[row[0] for row in pending]).update(approved=True)
        by_school: dict[int, list[tuple]] = defaultdict(list)
        for pk, hours, ambassador_id, day, school_id in pending:
            by_school[school_id].append((pk, hours, ambassador_id, day))
        for school_id, logs in sorted(by_school.items()):
            audit_record(
                actor=actor,
                action="worklogs.approve",
                school_id=school_id,
                data={
                    "work_logs": [pk for pk, *_ in logs],
                    "hours": str(sum(hours for _, hours, *_ in logs)),
                    "logs": [
                        {
                            "id": pk,
                            "ambassador": ambassador_id,
                            "date": day.isoformat(),
                            "hours": str(hours),
                            "approved": {"old": False, "new": True},
                        }
                        for pk, hours, ambassador_id, day in logs
                    ],
                },
            )
    return len(pending)


def _worklog_values(worklog: WorkLog) -> dict[str, Any]:
    values = model_to_dict(worklog, fields=WORKLOG_FIELDS)
    return {k: (str(v) if not isinstance(v, bool | int | None) else v) for k, v in values.items()}


def worklog_save(*, worklog: WorkLog, actor: Any) -> WorkLog:
    """Save a new or edited work log (the admin form's instance).

    Interns log hours; approved hours are locked for them (``WorkLogApproved``), and only
    the approval service approves (an intern's form cannot set the flag). Operations
    staff may correct approved hours: that changes labour cost, so it is audited with
    the old and new values. The stored row is locked, so the check and the audit see the
    row this save replaces.
    """
    with transaction.atomic():
        stored = None
        if worklog.pk is not None:
            stored = WorkLog.objects.select_for_update().filter(pk=worklog.pk).first()
        ops = _staff(actor)
        if stored is not None and stored.approved and not ops:
            raise WorkLogApproved()
        if not ops:
            worklog.approved = stored.approved if stored is not None else False
        worklog.save()
        if stored is not None and (stored.approved or worklog.approved):
            old, new = _worklog_values(stored), _worklog_values(worklog)
            changes = {k: {"old": old[k], "new": new[k]} for k in old if old[k] != new[k]}
            if changes:
                audit_record(
                    actor=actor,
                    action="worklog.change",
                    target=worklog,
                    school_id=worklog.ambassador.school_id,
                    data={"changes": changes},
                )
    return worklog


def worklog_delete(*, worklog: WorkLog, actor: Any) -> None:
    """Delete a work log; an approved one only by operations staff, and audited."""
    with transaction.atomic():
        stored = WorkLog.objects.select_for_update().filter(pk=worklog.pk).first()
        if stored is None:
            return
        if stored.approved and not _staff(actor):
            raise WorkLogApproved()
        school_id = stored.ambassador.school_id
        values = _worklog_values(stored)
        stored.delete()
        if values["approved"]:
            audit_record(
                actor=actor,
                action="worklog.delete",
                school_id=school_id,
                reason=str(worklog),
                data={"id": worklog.pk, "old": values},
            )
