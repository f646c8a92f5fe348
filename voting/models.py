"""Entries, voters, votes, visits, app activity and leaderboard snapshots."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.privacy import mask_phone


class Entry(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        DISQUALIFIED = "disqualified", _("disqualified")

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
    photo = models.ImageField(_("photo"), upload_to="entries/%Y/%m/", blank=True)
    # Derivatives of the photo, drawn by a Celery task (voting/services/photos.py): the
    # list-size thumbnail and the detail-size preview, both JPEG without metadata.
    thumbnail = models.ImageField(_("thumbnail"), upload_to="entries/thumbs/", blank=True)
    preview = models.ImageField(_("detail image"), upload_to="entries/previews/", blank=True)
    poster = models.ImageField(_("share poster"), upload_to="entries/posters/", blank=True)
    status = models.CharField(
        _("moderation status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
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


class Voter(models.Model):
    class Channel(models.TextChoices):
        SHARE = "share", _("share")
        AMBASSADOR = "ambassador", _("ambassador")
        DIRECT = "direct", _("direct")

    phone = models.CharField(_("phone (E.164)"), max_length=20, unique=True)
    school = models.ForeignKey(
        "campaigns.School",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="voters",
        verbose_name=_("school"),
    )
    first_seen_at = models.DateTimeField(_("first seen at"), auto_now_add=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    app_user_id = models.CharField(_("app user id"), max_length=64, blank=True)
    # Acquisition attribution: set once, for new voters only (docs/contract.md "Privacy").
    attributed_campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attributed_voters",
        verbose_name=_("acquired by campaign"),
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.DIRECT
    )
    attributed_entry = models.ForeignKey(
        Entry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recruited_voters",
        verbose_name=_("referred by entry"),
    )
    attributed_ambassador = models.ForeignKey(
        "ambassadors.Ambassador",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recruited_voters",
        verbose_name=_("referred by ambassador"),
    )

    class Meta:
        verbose_name = _("voter")
        verbose_name_plural = _("voters")
        ordering = ["-first_seen_at"]
        indexes = [
            models.Index(fields=["attributed_campaign", "channel"], name="voter_attribution_idx")
        ]

    def __str__(self) -> str:
        return self.masked_phone

    @property
    def masked_phone(self) -> str:
        """The phone as anyone but staff may see it: +86138****8000."""
        return mask_phone(self.phone)


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
        Voter,
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
        Entry,
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


class LeaderboardSnapshot(models.Model):
    """The standing of one round at one time. ``standings`` is the contract list
    ``[{rank, entry_id, name, votes}]``; a final snapshot is frozen when the campaign
    closes."""

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

    class Meta:
        verbose_name = _("leaderboard snapshot")
        verbose_name_plural = _("leaderboard snapshots")
        ordering = ["-computed_at"]
        get_latest_by = "computed_at"
        indexes = [models.Index(fields=["round", "-computed_at"], name="snapshot_latest_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["round"], condition=Q(is_final=True), name="snapshot_one_final_per_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round} @ {localtime(self.computed_at):%Y-%m-%d %H:%M}"

    @property
    def school_id(self) -> int:
        return self.campaign.pilot.school_id


class OneTimeCode(models.Model):
    """A sign-in code sent by SMS: 6 digits, valid for minutes, single use, void after
    too many wrong tries. Only a keyed hash of the code is stored, so a database dump
    cannot be used to sign in (and 10^6 codes cannot be brute-forced offline without the
    secret key)."""

    phone = models.CharField(_("phone (E.164)"), max_length=20)
    code_hash = models.CharField(_("code hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        ordering = ["-created_at"]
        # Verification reads a phone's latest code; the per-phone hourly cap counts them.
        indexes = [models.Index(fields=["phone", "-created_at"], name="otp_phone_latest_idx")]

    def __str__(self) -> str:
        when = localtime(self.created_at)
        return f"{Voter(phone=self.phone).masked_phone} @ {when:%Y-%m-%d %H:%M}"


class VoterToken(models.Model):
    """A voter's bearer token. Only its SHA-256 is stored: the token is a random 256-bit
    secret, so a plain hash suffices (nothing to brute-force) and a leaked table signs
    nobody in. Revoked tokens stay for the record."""

    voter = models.ForeignKey(
        Voter, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("voter")
    )
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("voter token")
        verbose_name_plural = _("voter tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.voter} ({localtime(self.created_at):%Y-%m-%d})"


class ServiceToken(models.Model):
    """A bearer token of a trusted backend (the app's), e.g. for activity ingest.
    Stored as SHA-256 like voter tokens; deactivate rather than delete."""

    name = models.CharField(pgettext_lazy("thing", "name"), max_length=60, unique=True)
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service token")
        verbose_name_plural = _("service tokens")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FraudFlag(models.Model):
    """A suspicious pattern of votes found by ``voting.services.fraud_scan``, for operations staff to review.

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
        Entry,
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
        Vote, related_name="fraud_flags", blank=True, verbose_name=_("suspect votes")
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
        return f"{self.get_kind_display()} · {self.key}"

    @property
    def school_id(self) -> int:
        return self.campaign.pilot.school_id
