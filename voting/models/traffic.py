"""Anonymous visits and share clicks, and app activity (the input of retention)."""

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _


class Visit(models.Model):
    """An anonymous view of a campaign or an entry, or a click on a share link: the
    denominators of the participation and share-conversion rates."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("visit")
        SHARE_CLICK = "share_click", _("share click")

    visitor_id = models.CharField(_("visitor id"), max_length=64)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.VISIT)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="visits",
        verbose_name=_("campaign"),
    )
    entry = models.ForeignKey(
        "voting.Entry",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("entry"),
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-at"]
        indexes = [models.Index(fields=["campaign", "kind", "visitor_id"], name="visit_funnel_idx")]
        constraints = [
            # One row per first view: buffered visits are written with "insert, ignore
            # what exists" (voting/services/traffic.py), so a batch written twice or two
            # first views at once store one row. No entry (a campaign view) counts as 0:
            # NULLs are distinct in a unique index.
            models.UniqueConstraint(
                F("campaign"),
                F("kind"),
                F("visitor_id"),
                Coalesce(F("entry"), Value(0)),
                name="visit_first_view_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visitor_id} @ {localtime(self.at):%Y-%m-%d %H:%M}"


class Activity(models.Model):
    """App activity reported by the app backend: one row per phone, local day and kind."""

    phone = models.CharField(_("phone (E.164)"), max_length=20)
    day = models.DateField(_("local day"))
    kind = models.CharField(_("kind"), max_length=32)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("app activity")
        verbose_name_plural = _("app activity")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["phone", "day", "kind"], name="activity_unique_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.day}"
