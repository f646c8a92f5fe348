"""Schools, pilots, campaigns with their rounds and prizes, costs, and the audit log.

This is the bottom layer: nothing here imports ``ambassadors``, ``voting`` or ``reports``.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.phones import PhoneField
from core.storage import private_storage

MONEY = {"max_digits": 12, "decimal_places": 2}


class School(models.Model):
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    city = models.CharField(_("city"), max_length=60, blank=True)
    province = models.CharField(_("province"), max_length=60, blank=True)
    student_population = models.PositiveIntegerField(
        _("estimated student population"),
        default=0,
        help_text=_("Used to compare schools of different size fairly."),
    )

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def school_id(self) -> int:
        # Uniform "which school owns this row" for the ambassador scope rules.
        return self.pk


class Pilot(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        RUNNING = "running", _("running")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="pilots", verbose_name=_("school")
    )
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=120)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    budget = models.DecimalField(_("budget (CNY)"), default=Decimal("0"), **MONEY)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_pilots",
        verbose_name=_("owner"),
    )
    target_max_cost_per_retained_user = models.DecimalField(
        _("target: maximum cost per retained user (CNY)"), null=True, blank=True, **MONEY
    )
    target_min_d7_retention = models.DecimalField(
        _("target: minimum D7 retention"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("A share between 0 and 1, e.g. 0.25 for 25%."),
    )
    replicated_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replicas",
        verbose_name=_("replicated from"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pilot")
        verbose_name_plural = _("pilots")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="pilot_unique_name_per_school"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="pilot_ends_after_start",
                violation_error_message=_("A pilot cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(budget__gte=0),
                name="pilot_budget_non_negative",
                violation_error_message=_("The budget cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(target_max_cost_per_retained_user__isnull=True)
                | Q(target_max_cost_per_retained_user__gte=0),
                name="pilot_target_cost_non_negative",
                violation_error_message=_("The cost target cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(target_min_d7_retention__isnull=True)
                | Q(target_min_d7_retention__gte=0, target_min_d7_retention__lte=1),
                name="pilot_target_retention_is_share",
                violation_error_message=_("The retention target is a share between 0 and 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school} · {self.name}"


class Campaign(models.Model):
    class Kind(models.TextChoices):
        CONTEST = "contest", _("contest (one round)")
        DAILY_TOPIC = "daily_topic", _("daily topic (one round per topic/day)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")
        ARCHIVED = "archived", _("archived")

    pilot = models.ForeignKey(
        Pilot, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("pilot")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.CONTEST)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    rules = models.TextField(_("rules"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    submission_starts_at = models.DateTimeField(_("entries open at"))
    submission_ends_at = models.DateTimeField(_("entries close at"))
    voting_starts_at = models.DateTimeField(_("voting opens at"))
    voting_ends_at = models.DateTimeField(_("voting closes at"))
    # Vote policy (docs/vote-policy.md); frozen once voting opens.
    votes_per_entry_per_day = models.PositiveSmallIntegerField(
        _("votes per entry per day"), default=1, validators=[MinValueValidator(1)]
    )
    votes_per_day = models.PositiveSmallIntegerField(
        _("votes per day"), default=3, validators=[MinValueValidator(1)]
    )
    school_voters_only = models.BooleanField(
        _("only voters of the campaign's school"), default=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-voting_starts_at"]
        indexes = [models.Index(fields=["status", "voting_ends_at"], name="campaign_open_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(submission_ends_at__gt=F("submission_starts_at")),
                name="campaign_submission_window_ordered",
                violation_error_message=_("Entries must close after they open."),
            ),
            models.CheckConstraint(
                condition=Q(voting_ends_at__gt=F("voting_starts_at")),
                name="campaign_voting_window_ordered",
                violation_error_message=_("Voting must close after it opens."),
            ),
            models.CheckConstraint(
                condition=Q(voting_starts_at__gte=F("submission_starts_at")),
                name="campaign_voting_after_submissions_open",
                violation_error_message=_("Voting cannot open before entries open."),
            ),
            models.CheckConstraint(
                condition=Q(votes_per_entry_per_day__gte=1)
                & Q(votes_per_day__gte=F("votes_per_entry_per_day")),
                name="campaign_vote_limits_consistent",
                violation_error_message=_(
                    "Votes per day must be at least 1 and at least the votes per entry per day."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def school_id(self) -> int:
        return self.pilot.school_id


class Round(models.Model):
    """One leaderboard of a campaign: the only round of a contest, or one topic/day."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="rounds", verbose_name=_("campaign")
    )
    number = models.PositiveSmallIntegerField(_("number"), default=1)
    topic = models.CharField(_("topic"), max_length=120, blank=True)
    voting_starts_at = models.DateTimeField(_("voting opens at"), null=True, blank=True)
    voting_ends_at = models.DateTimeField(_("voting closes at"), null=True, blank=True)

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["campaign", "number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="round_unique_number"),
            models.CheckConstraint(
                condition=Q(voting_starts_at__isnull=True)
                | Q(voting_ends_at__isnull=True)
                | Q(voting_ends_at__gt=F("voting_starts_at")),
                name="round_voting_window_ordered",
                violation_error_message=_("A round's voting must close after it opens."),
            ),
        ]

    def __str__(self) -> str:
        label = self.topic or _("round %(number)s") % {"number": self.number}
        return f"{self.campaign} · {label}"

    @property
    def school_id(self) -> int:
        return self.campaign.pilot.school_id


class Prize(models.Model):
    """What ranks ``rank_from``..``rank_to`` of a campaign's rounds win.

    ``quantity`` units at ``unit_cost`` go to *each* winning rank; a prize without a round
    applies to every round of the campaign.
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="prizes", verbose_name=_("campaign")
    )
    round = models.ForeignKey(
        Round,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="prizes",
        verbose_name=_("round"),
    )
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=120)
    rank_from = models.PositiveSmallIntegerField(_("from rank"), validators=[MinValueValidator(1)])
    rank_to = models.PositiveSmallIntegerField(_("to rank"), validators=[MinValueValidator(1)])
    unit_cost = models.DecimalField(_("unit cost (CNY)"), **MONEY)
    quantity = models.PositiveSmallIntegerField(_("quantity per rank"), default=1)

    class Meta:
        verbose_name = _("prize")
        verbose_name_plural = _("prizes")
        ordering = ["campaign", "rank_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rank_from__gte=1) & Q(rank_to__gte=F("rank_from")),
                name="prize_rank_range_ordered",
                violation_error_message=_(
                    "The rank range must start at 1 or later and be ordered."
                ),
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0),
                name="prize_unit_cost_non_negative",
                violation_error_message=_("A prize cannot cost less than nothing."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (#{self.rank_from}–{self.rank_to})"

    def clean(self) -> None:
        # A prize on another campaign's round was never counted nor awarded anywhere.
        # Not a database constraint: a CHECK cannot look at another table (docs/metrics.md).
        if self.round_id and self.campaign_id and self.round.campaign_id != self.campaign_id:
            raise ValidationError({"round": _("This round belongs to another campaign.")})

    @property
    def school_id(self) -> int:
        return self.campaign.pilot.school_id


class Expense(models.Model):
    class Category(models.TextChoices):
        PRIZES = "prizes", _("prizes")
        PRINTING = "printing", _("printing")
        ADVERTISING = "advertising", _("advertising")
        VENUE = "venue", _("venue")
        DESIGN = "design", _("design")
        TECHNOLOGY = "technology", _("technology")
        PR = "pr", _("PR")
        TRAVEL = "travel", _("travel")
        OTHER = "other", _("other")

    pilot = models.ForeignKey(
        Pilot, on_delete=models.PROTECT, related_name="expenses", verbose_name=_("pilot")
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="expenses",
        verbose_name=_("campaign"),
    )
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    spent_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    # A re-encoded photo or a checked PDF (core/receipts.py), private (docs/files.md).
    receipt = models.FileField(
        _("receipt"), upload_to="receipts/%Y/%m/", blank=True, storage=private_storage
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-spent_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="expense_amount_non_negative",
                violation_error_message=_("An expense cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} ¥{self.amount} ({self.spent_on})"

    def clean(self) -> None:
        # An expense on a campaign of another pilot fell out of both pilots' reports.
        if self.campaign_id and self.pilot_id and self.campaign.pilot_id != self.pilot_id:
            raise ValidationError(
                {
                    "campaign": _("This campaign belongs to another pilot: %(pilot)s.")
                    % {"pilot": self.campaign.pilot}
                }
            )

    @property
    def school_id(self) -> int:
        return self.pilot.school_id


class AuditLog(models.Model):
    """Who changed what, when and why: policy changes after voting opened, vote
    invalidations, imports. Written by services, never edited."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    school = models.ForeignKey(
        School,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("type")
    )
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    reason = models.TextField(_("why"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at"]

    def __str__(self) -> str:
        from campaigns.audit import audit_action_label  # the labels live beside the writer

        action = audit_action_label(self.action)
        return f"{localtime(self.at):%Y-%m-%d %H:%M} {action} {self.object_repr}"


class StaffPhone(models.Model):
    """Phone numbers of operations staff and test accounts. Voters with these numbers
    are never counted as new users (ambassadors are recognised by their own roster)."""

    phone = PhoneField(_("phone (E.164)"), unique=True)
    label = models.CharField(_("whose"), max_length=120, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff user"),
    )

    class Meta:
        verbose_name = _("staff phone")
        verbose_name_plural = _("staff phones (excluded from metrics)")
        ordering = ["phone"]

    def __str__(self) -> str:
        return self.label or self.phone


class ImportJob(models.Model):
    """A big roster import running in the background (over ``IMPORT_ASYNC_ROW_THRESHOLD``
    rows): the parsed sheet, its progress, and its outcome or bad-row report. A big
    preview (over ``IMPORT_ASYNC_PREVIEW_ROW_THRESHOLD`` rows, or a big photo zip) is a job
    too: previewing, then previewed until someone confirms it, then queued like others
    (campaigns/rosters/previews.py)."""

    class Status(models.TextChoices):
        PREVIEWING = "previewing", _("previewing")
        PREVIEWED = "previewed", _("checked: confirm to import")
        QUEUED = "queued", _("queued")
        VALIDATING = "validating", _("checking rows")
        WRITING = "writing", _("writing")
        DONE = "done", _("done")
        FAILED = "failed", _("failed: nothing imported")

    kind = models.CharField(_("kind"), max_length=20)
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("school")
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="import_jobs",
        verbose_name=_("campaign"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    # The parsed sheet (campaigns.spreadsheets.stash_dumps), in shared storage so that
    # any worker can read it.
    # Private, and deleted a while after the job finishes (campaigns/files.py).
    file = models.FileField(_("parsed file"), upload_to="imports/%Y/%m/", storage=private_storage)
    # The zip of contestants' photos uploaded with the list, if any (private too).
    photos = models.FileField(
        _("photos (zip)"), upload_to="imports/%Y/%m/", blank=True, storage=private_storage
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    new = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.JSONField(_("bad rows"), default=list, blank=True)
    headers = models.JSONField(_("headers"), default=list, blank=True)
    # A worker counts an attempt when it starts and beats the heartbeat with its progress;
    # beat's sweep sends a job with a stale heartbeat again, or fails it once out of
    # attempts (core/work.py).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="importjob_progress_is_percent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.file_name}"
