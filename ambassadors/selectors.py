"""Reads of the ambassadors app."""

from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Sum

from ambassadors.models import Ambassador, WorkLog

ZERO = Decimal("0.00")


def ambassadors_active_in(*, school_id: int, start: date, end: date) -> QuerySet[Ambassador]:
    """The school's ambassadors who were on the team during [start, end]: an approved
    work log on one of those days, or still active and on the roster before it ended.
    Someone who left before the period, or joined after it, is not paid by it."""
    worked = Exists(
        WorkLog.objects.filter(
            ambassador_id=OuterRef("pk"), approved=True, date__gte=start, date__lte=end
        )
    )
    return Ambassador.objects.filter(school_id=school_id).filter(
        worked | Q(active=True, created_at__date__lte=end)
    )


def labour_cost(
    *,
    school_id: int,
    start: date,
    end: date,
    stipend_share: Decimal,
    stipend_period: tuple[date, date] | None = None,
) -> Decimal:
    """Approved hours × hourly rate of the school's ambassadors on days in [start, end],
    plus ``stipend_share`` of the fixed stipends of the ambassadors active during
    ``stipend_period`` (the pilot's dates; default [start, end])."""
    hours_cost = (
        WorkLog.objects.filter(
            ambassador__school_id=school_id, approved=True, date__gte=start, date__lte=end
        ).aggregate(
            total=Sum(
                ExpressionWrapper(
                    F("hours") * F("ambassador__hourly_rate"),
                    output_field=DecimalField(max_digits=14, decimal_places=4),
                )
            )
        )["total"]
        or ZERO
    )
    period_start, period_end = stipend_period or (start, end)
    stipends = (
        ambassadors_active_in(school_id=school_id, start=period_start, end=period_end).aggregate(
            t=Sum("stipend")
        )["t"]
        or ZERO
    )
    return Decimal(hours_cost) + stipends * stipend_share


def ambassador_names(*, ids: list[int]) -> dict[int, str]:
    return dict(Ambassador.objects.filter(pk__in=ids).values_list("pk", "name"))
