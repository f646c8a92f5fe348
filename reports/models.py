"""Stored post-campaign and pilot reports, computed by Celery, versioned by time."""

from django.db import models
from django.db.models import Q
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("campaign"),
    )
    pilot = models.ForeignKey(
        "campaigns.Pilot",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("pilot"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    data = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Copied from the verdict when computed, so beat finds the reports to recompute once
    # their cohort matures (reports.tasks.reports_refresh_due) without reading JSON.
    provisional = models.BooleanField(_("provisional verdict"), default=False)
    matures_on = models.DateField(_("matures on"), null=True, blank=True)
    # The report this one recomputes (matured, or after a revised standing): the page
    # shows how the verdict changed.
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recomputes"),
    )
    # A worker counts an attempt when it starts and beats the heartbeat with its progress;
    # beat's sweep sends a report with a stale heartbeat again, or fails it once out of
    # attempts (core/work.py).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    # The post-campaign report requested when the campaign closed: one per campaign, so a
    # close that runs twice (a redelivered task, the minute job) requests it once.
    on_close = models.BooleanField(_("requested on close"), default=False, editable=False)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-requested_at"]
        indexes = [
            models.Index(
                fields=["matures_on"], condition=Q(provisional=True), name="report_maturing_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(campaign__isnull=False) | Q(pilot__isnull=False),
                name="report_has_subject",
                violation_error_message=_("A report is about a campaign or a pilot."),
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="report_progress_is_percent"
            ),
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(on_close=True),
                name="report_one_close_report_per_campaign",
            ),
        ]

    def __str__(self) -> str:
        subject = self.campaign or self.pilot
        return f"{subject} @ {localtime(self.requested_at):%Y-%m-%d %H:%M}"

    @property
    def school_id(self) -> int:
        return (self.campaign.pilot if self.campaign_id else self.pilot).school_id
