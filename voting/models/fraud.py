"""Fraud flags: suspicious patterns of votes for staff to review."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FraudFlag(models.Model):
    """A suspicious pattern of votes found by ``voting.services.fraud_scan``, for operations
    staff to review.

    One row per (campaign, kind, key): the key names the pattern deterministically
    ("device:<id>", "burst:<entry>:<window start>"), so a rescan updates the flag instead of
    adding another. Confirming invalidates the suspect votes through ``vote_invalidate``;
    dismissing keeps the flag closed until new suspect votes appear under the same key.
    Never shown to ambassadors: it names voters and holds the evidence against them.
    """

    class Kind(models.TextChoices):
        DEVICE_CLUSTER = "device_cluster", _("many voters on one device")
        USER_AGENT_CLUSTER = "user_agent_cluster", _("new accounts with one user agent")
        FAST_NEW_ACCOUNT = "fast_new_account", _("accounts voting seconds after sign-up")
        ENTRY_BURST = "entry_burst", _("burst of votes on one entry")
        NEVER_ACTIVE = "never_active", _("new voters never active in the app")
        SHARE_RING = "share_ring", _("share-link sign-up ring")

    class Severity(models.IntegerChoices):
        LOW = 10, _("low")
        MEDIUM = 20, _("medium")
        HIGH = 30, _("high")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CONFIRMED = "confirmed", _("confirmed, votes invalidated")
        DISMISSED = "dismissed", _("dismissed")

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="fraud_flags",
        verbose_name=_("campaign"),
    )
    kind = models.CharField(_("signal"), max_length=24, choices=Kind.choices)
    key = models.CharField(_("pattern key"), max_length=200)
    entry = models.ForeignKey(
        "voting.Entry",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fraud_flags",
        verbose_name=_("entry concerned"),
    )
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, default=Severity.LOW
    )
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    votes = models.ManyToManyField(
        "voting.Vote", related_name="fraud_flags", blank=True, verbose_name=_("suspect votes")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    # Earlier reviews of a flag that new suspect votes reopened: [{status, by, at, note}].
    review_history = models.JSONField(_("earlier reviews"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last detected at"), auto_now=True)

    class Meta:
        verbose_name = _("fraud flag")
        verbose_name_plural = _("fraud flags")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "campaign"], name="fraudflag_status_idx")]
        constraints = [
            # The scan's idempotency: two scans (a redelivered task, beat and "now") that
            # find the same pattern collide here instead of creating two flags.
            models.UniqueConstraint(
                fields=["campaign", "kind", "key"], name="fraudflag_unique_pattern"
            )
        ]

    def __str__(self) -> str:
        # The pattern key is for machines (the detail page lists it last); people read
        # the flag's sentence (voting/selectors/fraud_review.py).
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def school_id(self) -> int:
        return self.campaign.pilot.school_id


class FraudScan(models.Model):
    """When the fraud detectors last ran on a campaign, and a scan staff asked for.

    One row per campaign, written by ``voting.services.fraud_scan`` (beat's scans, the
    admin's "Scan now", the ``fraud_scan`` command alike): the flags list shows it so a
    reviewer knows how fresh the flags are, and whether a requested scan has run yet.
    """

    campaign = models.OneToOneField(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="fraud_scan",
        verbose_name=_("campaign"),
    )
    requested_at = models.DateTimeField(_("scan requested at"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scan requested by"),
    )
    started_at = models.DateTimeField(_("last scan started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("last scanned at"), null=True, blank=True)
    flags_changed = models.PositiveIntegerField(
        _("flags new or changed by the last scan"), default=0
    )

    class Meta:
        verbose_name = _("fraud scan")
        verbose_name_plural = _("fraud scans")

    def __str__(self) -> str:
        return str(self.campaign)

    @property
    def state(self) -> str:
        """``waiting`` (asked for, no worker has started it), ``running`` or ``done``."""
        if self.started_at and (not self.finished_at or self.started_at > self.finished_at):
            return "running"
        if self.requested_at and (not self.started_at or self.requested_at > self.started_at):
            return "waiting"
        return "done"
