"""What needs a manager's attention, counted for the admin's home page (home/admin.py).

One aggregate query per subject, whatever the number of rows: running campaigns and
their votes today (the Asia/Shanghai day), entries waiting for moderation, open fraud
flags by severity, reports ready or failed, imports running or failed, prizes not yet
handed out. ``school_id`` scopes every count to an intern's school; ``None`` is every
school (operations staff). Fraud flags and prizes are staff-only subjects: an intern's
home never counts them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from campaigns.models import Campaign, ImportJob
from reports.models import Report
from voting.models import Entry, FraudFlag, PrizeAward, Vote

# Reports and imports that finished (or failed) this many days ago still need a look.
RECENT_DAYS = 7
# The running campaigns listed by name; more are counted and linked.
RUNNING_LISTED = 8

IMPORT_RUNNING = (
    ImportJob.Status.PREVIEWING,
    ImportJob.Status.QUEUED,
    ImportJob.Status.VALIDATING,
    ImportJob.Status.WRITING,
)
PRIZES_WAITING = (PrizeAward.State.AWARDED, PrizeAward.State.CONTACTED)


@dataclass(frozen=True)
class RunningCampaign:
    pk: int
    title: str
    school: str
    votes_today: int


@dataclass(frozen=True)
class FraudCounts:
    high: int
    medium: int
    low: int

    @property
    def total(self) -> int:
        return self.high + self.medium + self.low


@dataclass(frozen=True)
class FinishedCounts:
    """Work of the last ``RECENT_DAYS`` days: done (ready to read), failed, running."""

    ready: int
    failed: int
    running: int


def recent_since(*, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=RECENT_DAYS)


def campaigns_running(
    *, school_id: int | None, today: dt.date | None = None
) -> tuple[int, list[RunningCampaign]]:
    """Open campaigns (their count and the first ``RUNNING_LISTED``) with today's valid
    votes. Two queries: the campaigns, then one grouped count of today's votes."""
    today = today or timezone.localdate()
    qs = Campaign.objects.filter(status=Campaign.Status.OPEN)
    if school_id is not None:
        qs = qs.filter(pilot__school_id=school_id)
    rows = list(
        qs.order_by("voting_ends_at", "pk").values_list("pk", "title", "pilot__school__name")[
            : RUNNING_LISTED + 1
        ]
    )
    total = len(rows) if len(rows) <= RUNNING_LISTED else qs.count()
    rows = rows[:RUNNING_LISTED]
    votes = dict(
        Vote.objects.filter(
            campaign_id__in=[pk for pk, *_ in rows], day=today, status=Vote.Status.VALID
        )
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )
    listed = [
        RunningCampaign(pk=pk, title=title, school=school, votes_today=votes.get(pk, 0))
        for pk, title, school in rows
    ]
    return total, listed


def entries_pending_count(*, school_id: int | None) -> int:
    qs = Entry.objects.filter(status=Entry.Status.PENDING)
    if school_id is not None:
        qs = qs.filter(campaign__pilot__school_id=school_id)
    return qs.count()


def fraud_flags_open(*, campaign_id: int | None = None) -> FraudCounts:
    qs = FraudFlag.objects.filter(status=FraudFlag.Status.OPEN)
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    counts = qs.aggregate(
        high=Count("pk", filter=Q(severity=FraudFlag.Severity.HIGH)),
        medium=Count("pk", filter=Q(severity=FraudFlag.Severity.MEDIUM)),
        low=Count("pk", filter=Q(severity=FraudFlag.Severity.LOW)),
    )
    return FraudCounts(**counts)


def reports_recent(*, school_id: int | None, since: dt.datetime) -> FinishedCounts:
    qs = Report.objects.all()
    if school_id is not None:
        # A campaign's report, or a pilot's (no campaign), of the intern's school.
        qs = qs.filter(Q(campaign__pilot__school_id=school_id) | Q(pilot__school_id=school_id))
    return FinishedCounts(
        **qs.aggregate(
            ready=Count("pk", filter=Q(status=Report.Status.DONE, generated_at__gte=since)),
            failed=Count("pk", filter=Q(status=Report.Status.FAILED, requested_at__gte=since)),
            running=Count(
                "pk", filter=Q(status__in=[Report.Status.PENDING, Report.Status.RUNNING])
            ),
        )
    )


def imports_recent(*, school_id: int | None, since: dt.datetime) -> FinishedCounts:
    qs = ImportJob.objects.all()
    if school_id is not None:
        qs = qs.filter(school_id=school_id)
    return FinishedCounts(
        **qs.aggregate(
            ready=Count("pk", filter=Q(status=ImportJob.Status.PREVIEWED)),
            failed=Count("pk", filter=Q(status=ImportJob.Status.FAILED, created_at__gte=since)),
            running=Count("pk", filter=Q(status__in=IMPORT_RUNNING)),
        )
    )


def prizes_waiting_count() -> int:
    """Prize awards not handed out yet (awarded, or the winner contacted)."""
    return PrizeAward.objects.filter(state__in=PRIZES_WAITING).count()
