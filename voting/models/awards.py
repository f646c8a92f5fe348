"""Prize awards: who won which prize of a final standing, and what became of it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PrizeAward(models.Model):
    """One prize given to one entry by a round's final standing (docs/metrics.md
    "Prize awards"). Written only by ``voting.services.awards``: created from the final
    standing, marked contacted / handed out / forfeited by staff with who and when. A
    forfeited award passes its prize to the next alternate (a new award that ``replaces``
    it); an award the revised standing no longer gives is *revoked*. Never deleted.
    """

    class State(models.TextChoices):
        AWARDED = "awarded", _("awarded")
        CONTACTED = "contacted", _("winner contacted")
        HANDED_OUT = "handed_out", _("handed out")
        FORFEITED = "forfeited", _("forfeited")
        REVOKED = "revoked", _("revoked by a revised standing")

    LIVE = (State.AWARDED, State.CONTACTED, State.HANDED_OUT)

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="prize_awards",
        verbose_name=_("campaign"),
    )
    round = models.ForeignKey(
        "campaigns.Round",
        on_delete=models.PROTECT,
        related_name="prize_awards",
        verbose_name=_("round"),
    )
    entry = models.ForeignKey(
        "voting.Entry",
        on_delete=models.PROTECT,
        related_name="prize_awards",
        verbose_name=_("entry"),
    )
    prize = models.ForeignKey(
        "campaigns.Prize",
        on_delete=models.PROTECT,
        related_name="awards",
        verbose_name=_("prize"),
    )
    standing = models.ForeignKey(
        "voting.LeaderboardSnapshot",
        on_delete=models.PROTECT,
        related_name="prize_awards",
        verbose_name=_("final standing"),
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    # The prize's cost when awarded: the report counts what was given, whatever the
    # prize row says later.
    unit_cost = models.DecimalField(_("unit cost (CNY)"), max_digits=12, decimal_places=2)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.AWARDED
    )
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("takes over from"),
    )
    awarded_at = models.DateTimeField(_("awarded at"))
    notified_at = models.DateTimeField(_("winner notified at"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("contacted at"), null=True, blank=True)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contacted by"),
    )
    handed_out_at = models.DateTimeField(_("handed out at"), null=True, blank=True)
    handed_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed out by"),
    )
    closed_at = models.DateTimeField(_("forfeited or revoked at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("forfeited or revoked by"),
    )
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("prize award")
        verbose_name_plural = _("prize awards")
        ordering = ["campaign", "round", "rank", "pk"]
        indexes = [models.Index(fields=["campaign", "state"], name="prizeaward_campaign_idx")]
        constraints = [
            # Two syncs of one round at once (a forfeit and a revision) cannot give one
            # entry the same prize twice: the second insert collides here.
            models.UniqueConstraint(
                fields=["round", "entry", "prize"],
                condition=Q(state__in=["awarded", "contacted", "handed_out"]),
                name="prizeaward_one_live_per_entry_prize",
            ),
            models.CheckConstraint(
                condition=~Q(state="contacted") | Q(contacted_at__isnull=False),
                name="prizeaward_contacted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="handed_out") | Q(handed_out_at__isnull=False),
                name="prizeaward_handed_out_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["forfeited", "revoked"]) | Q(closed_at__isnull=False),
                name="prizeaward_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0), name="prizeaward_unit_cost_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.entry.name} · {self.prize.name}"

    @property
    def school_id(self) -> int:
        return self.campaign.pilot.school_id

    @property
    def cost(self):
        return self.unit_cost * self.quantity
