"""Reads of the ambassadors app."""

from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Sum

from ambassadors.models import Ambassador, WorkLog

ZERO = Decimal("0.00")


def labour_cost(*, school_id: int, start: date, end: date, stipend_share: Decimal) -> Decimal:
    """Approved hours × hourly rate of the school's ambassadors on days in [start, end],
    plus ``stipend_share`` of their fixed stipends."""
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
    stipends = (
        Ambassador.objects.filter(school_id=school_id).aggregate(t=Sum("stipend"))["t"] or ZERO
    )
    return Decimal(hours_cost) + stipends * stipend_share


def ambassador_names(*, ids: list[int]) -> dict[int, str]:
    return dict(Ambassador.objects.filter(pk__in=ids).values_list("pk", "name"))
