"""Entries, votes and leaderboard snapshots."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.storage import private_storage


class Entry(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        DISQUALIFIED = "disqualified", _("disqualified")

    class RejectionReason(models.TextChoices):
        # The common reasons moderators give; "other" needs a note (voting/services/moderation.py).
        BLURRY = "blurry", _("blurry photo")
        OFF_TOPIC = "off_topic", _("not on topic")
        NOT_OWN = "not_own", _("not the contestant's own photo")
        INAPPROPRIATE = "inappropriate", _("inappropriate content")
        OTHER = "other", _("other")

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("campaign"),
    )
    round = models.ForeignKey(
        "campaigns.Round", on_delete=models.PROTECT, related_name="entries", verbose_name=_("round")
    )
    name = models.CharField(_("name"), max_length=60)
    student_id = models.CharField(_("student id"), max_length=32, blank=True)
    caption = models.CharField(_("caption"), max_length=280, blank=True)
    # Every file of an entry is private; while it is approved, a copy of each is public
    # under the same name (voting/services/entry_files.py, docs/files.md).
    photo = models.ImageField(
        _("photo"), upload_to="entries/%Y/%m/", blank=True, storage=private_storage
    )
    # Derivatives of the photo, drawn by a Celery task (voting/services/photos.py): the
    # list-size thumbnail and the detail-size preview, both JPEG without metadata.
    thumbnail = models.ImageField(
        _("thumbnail"), upload_to="entries/thumbs/", blank=True, storage=private_storage
    )
    preview = models.ImageField(
        _("detail image"), upload_to="entries/previews/", blank=True, storage=private_storage
    )
    poster = models.ImageField(
        _("share poster"), upload_to="entries/posters/", blank=True, storage=private_storage
    )
    status = models.CharField(
        _("moderation status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    # Why moderation rejected it, as the contestant is told (cleared when approved).
    rejection_reason = models.CharField(
        _("rejection reason"), max_length=16, choices=RejectionReason.choices, blank=True
    )
    rejection_note = models.CharField(_("rejection note"), max_length=200, blank=True)
    # When the SMS telling the contestant went to the gateway: claimed once per rejection.
    rejection_notified_at = models.DateTimeField(_("contestant told at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        "ambassadors.Ambassador",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("submitting ambassador"),
    )
    voter = models.ForeignKey(
        "Voter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("contestant's voter account"),
    )
    share_code = models.CharField(_("share code"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["campaign", "round", "id"]
        indexes = [models.Index(fields=["campaign", "status"], name="entry_campaign_status_idx")]
        constraints = [
            # The natural key of contestant imports: one entry per student per round.
            models.UniqueConstraint(
                fields=["round", "student_id"],
                condition=~Q(student_id=""),
                name="entry_unique_student_per_round",
                violation_error_message=_("This student already has an entry in this round."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.campaign}"

    def clean(self) -> None:
        if self.round_id and self.campaign_id and self.round.campaign_id != self.campaign_id:
            raise ValidationError({"round": _("This round belongs to another campaign.")})
        if (
            self.pk
            and self.campaign_id
            and self.votes.exclude(campaign_id=self.campaign_id).exists()
        ):
            # Votes count in their campaign's leaderboards and reports: an entry that has
            # them stays where it was voted for.
            raise ValidationError(
                {"campaign": _("This entry has votes in its campaign: it cannot move to another.")}
            )

    @property
    def school_id(self) -> int:
        return self.campaign.pilot.school_id

    def rejection_text(self) -> str:
        """The reason as the contestant reads it: the chosen reason and the note (the
        note alone for "other"); empty unless rejected."""
        if self.status != self.Status.REJECTED or not self.rejection_reason:
            return ""
        if self.rejection_reason == self.RejectionReason.OTHER:
            return self.rejection_note
        label = str(self.get_rejection_reason_display())
        if not self.rejection_note:
            return label
        return gettext("%(reason)s (%(note)s)") % {"reason": label, "note": self.rejection_note}


class Vote(models.Model):
    """One vote. Never deleted: invalidation keeps the row and removes it from counts.

    Limits are slots enforced by partial unique constraints over *valid* votes: a voter's
    n-th vote for an entry on a local day takes ``entry_slot`` n, their n-th vote in the
    campaign that day takes ``day_slot`` n. The vote service only hands out slots up to the
    campaign's limits, so two concurrent requests racing for the last slot collide on the
    constraint instead of both succeeding. Under the default policy (one vote per entry
    per day) this is exactly "one valid vote per voter, entry and local day".
    """

    class Status(models.TextChoices):
        VALID = "valid", _("valid")
        INVALIDATED = "invalidated", _("invalidated")

    # No single-column indexes on the keys: each leads one of the indexes in Meta, and
    # every index is one more write per vote.
    voter = models.ForeignKey(
        "voting.Voter",
        on_delete=models.PROTECT,
        related_name="votes",
        verbose_name=_("voter"),
        db_index=False,
    )
    entry = models.ForeignKey(
        Entry,
        on_delete=models.PROTECT,
        related_name="votes",
        verbose_name=_("entry"),
        db_index=False,
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="votes",
        verbose_name=_("campaign"),
        db_index=False,
    )
    day = models.DateField(_("local day"))
    cast_at = models.DateTimeField(_("cast at"))
    entry_slot = models.PositiveSmallIntegerField(_("slot for this entry today"), default=1)
    day_slot = models.PositiveSmallIntegerField(_("slot in the campaign today"), default=1)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.VALID
    )
    invalidated_reason = models.CharField(_("invalidation reason"), max_length=255, blank=True)
    invalidated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invalidated by"),
        db_index=False,  # partial index in Meta: only invalidated votes have one
    )
    invalidated_at = models.DateTimeField(_("invalidated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["-cast_at"]
        indexes = [
            # Leaderboards: valid votes per entry of a campaign.
            models.Index(fields=["campaign", "status", "entry"], name="vote_campaign_entry_idx"),
            # The limits and "my votes": a voter's votes on a day.
            models.Index(fields=["voter", "day"], name="vote_voter_day_idx"),
            models.Index(fields=["entry", "status", "cast_at"], name="vote_entry_cast_idx"),
            # Deleting a staff user clears their invalidations.
            models.Index(
                fields=["invalidated_by"],
                condition=Q(invalidated_by__isnull=False),
                name="vote_invalidated_by_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["voter", "entry", "day", "entry_slot"],
                condition=Q(status="valid"),
                name="vote_entry_daily_slot_unique",
                violation_error_message=_("The voter has used this entry's votes for the day."),
            ),
            models.UniqueConstraint(
                fields=["voter", "campaign", "day", "day_slot"],
                condition=Q(status="valid"),
                name="vote_campaign_daily_slot_unique",
                violation_error_message=_("The voter has used the campaign's votes for the day."),
            ),
            models.CheckConstraint(
                condition=Q(entry_slot__gte=1) & Q(day_slot__gte=1),
                name="vote_slots_positive",
            ),
            models.CheckConstraint(
                condition=Q(status="valid", invalidated_at__isnull=True)
                | Q(status="invalidated", invalidated_at__isnull=False),
                name="vote_invalidation_recorded",
                violation_error_message=_("An invalidated vote records when it was invalidated."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voter} → {self.entry_id} ({self.day})"


class LeaderboardSnapshot(models.Model):
    """The standing of one round at one time. ``standings`` is the contract list
    ``[{rank, entry_id, name, votes}]``; a final snapshot is frozen when the campaign
    closes.

    Votes invalidated after the freeze (fraud confirmed late) add a *revised* final
    standing beside the first: revision 1, 2, ... with who revised it and why. The first
    is kept, both stay in the history, and the highest revision is the one in force."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="leaderboard_snapshots",
        verbose_name=_("campaign"),
    )
    round = models.ForeignKey(
        "campaigns.Round",
        on_delete=models.CASCADE,
        related_name="leaderboard_snapshots",
        verbose_name=_("round"),
    )
    computed_at = models.DateTimeField(_("computed at"))
    total_votes = models.PositiveIntegerField(_("valid votes"))
    is_final = models.BooleanField(_("final standing"), default=False)
    standings = models.JSONField(_("standings"), default=list)
    revision = models.PositiveSmallIntegerField(
        _("revision"), default=0, help_text=_("0: the standing frozen at close; 1, 2…: revised.")
    )
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revised by"),
    )
    revision_reason = models.TextField(_("why revised"), blank=True)

    class Meta:
        verbose_name = _("leaderboard snapshot")
        verbose_name_plural = _("leaderboard snapshots")
        ordering = ["-computed_at"]
        get_latest_by = "computed_at"
        indexes = [models.Index(fields=["round", "-computed_at"], name="snapshot_latest_idx")]
        constraints = [
            # One final standing per round and revision: two workers freezing at once, or
            # two late revisions at once, collide here instead of both writing.
            models.UniqueConstraint(
                fields=["round", "revision"],
                condition=Q(is_final=True),
                name="snapshot_one_final_per_round_revision",
            ),
            models.CheckConstraint(
                condition=Q(revision=0) | Q(is_final=True),
                name="snapshot_only_final_is_revised",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} @ {localtime(self.computed_at):%Y-%m-%d %H:%M}"

    @property
    def school_id(self) -> int:
        return self.campaign.pilot.school_id
