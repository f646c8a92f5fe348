"""Intern ambassadors of a school and the hours they log."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.phones import PhoneField


class Ambassador(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("lead")
        INTERN = "intern", _("intern")

    school = models.ForeignKey(
        "campaigns.School",
        on_delete=models.PROTECT,
        related_name="ambassadors",
        verbose_name=_("school"),
    )
    name = models.CharField(_("name"), max_length=60)
    # Kept as text: student ids carry leading zeros.
    student_id = models.CharField(_("student id"), max_length=32)
    # Stored as E.164 whatever was typed (core/phones.py): voters are excluded from the
    # report's new users by exact match on it.
    phone = PhoneField(_("phone"), blank=True, help_text=_("Stored as E.164, e.g. +8613800138000."))
    email = models.EmailField(_("email"), blank=True)
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.INTERN)
    hourly_rate = models.DecimalField(
        _("hourly rate (CNY)"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    stipend = models.DecimalField(
        _("fixed stipend (CNY)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    active = models.BooleanField(_("active"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ambassador",
        verbose_name=_("login user"),
    )
    referral_code = models.CharField(_("referral code"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ambassador")
        verbose_name_plural = _("ambassadors")
        ordering = ["school", "name"]
        constraints = [
            # The natural key of roster imports.
            models.UniqueConstraint(
                fields=["school", "student_id"],
                name="ambassador_unique_student_id_per_school",
                violation_error_message=_(
                    "This school already has an ambassador with this student id."
                ),
            ),
            models.CheckConstraint(
                condition=Q(hourly_rate__gte=0) & Q(stipend__gte=0),
                name="ambassador_pay_non_negative",
                violation_error_message=_("Pay cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.school})"


class WorkLog(models.Model):
    ambassador = models.ForeignKey(
        Ambassador, on_delete=models.CASCADE, related_name="work_logs", verbose_name=_("ambassador")
    )
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=2)
    task = models.CharField(_("task"), max_length=200)
    approved = models.BooleanField(_("approved"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("work log")
        verbose_name_plural = _("work logs")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["ambassador", "date", "task"],
                name="worklog_unique_task_per_day",
                violation_error_message=_("This task is already logged for this day."),
            ),
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24),
                name="worklog_hours_in_day",
                violation_error_message=_("Hours must be more than 0 and at most 24."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ambassador.name} {self.date} {self.hours}h"

    @property
    def school_id(self) -> int:
        return self.ambassador.school_id
