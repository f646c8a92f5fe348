"""Reads behind the post-campaign report: funnel counts, new users and their retention.

Definitions and each decision behind them: docs/metrics.md. Every function aggregates in
SQL and returns plain numbers.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import TruncDate

from ambassadors.models import Ambassador
from campaigns.models import StaffPhone
from core.dbfunctions import AddDays
from voting.models import Activity, Entry, Visit, Vote, Voter

RETENTION_DAYS = (1, 7, 30)


@dataclass(frozen=True)
class RetentionCount:
    cohort: int  # new users whose day n is over
    retained: int  # ...and who were active in the app on day n


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def unique_visitors(*, campaign_id: int, kind: str | None = None) -> int:
    visits = Visit.objects.filter(campaign_id=campaign_id)
    if kind:
        visits = visits.filter(kind=kind)
    return visits.values("visitor_id").distinct().count()


def participant_count(*, campaign_id: int) -> int:
    """Unique voters with a valid vote, plus contestants, each person once."""
    voters = Voter.objects.filter(
        Exists(
            Vote.objects.filter(
                voter_id=OuterRef("pk"), campaign_id=campaign_id, status=Vote.Status.VALID
            )
        )
        | Exists(Entry.objects.filter(voter_id=OuterRef("pk"), campaign_id=campaign_id))
    )
    # Contestants entered by an ambassador have no voter account: one per student id,
    # or per entry when the id is missing.
    offline = Entry.objects.filter(campaign_id=campaign_id, voter__isnull=True)
    offline_people = (
        offline.exclude(student_id="").values("student_id").distinct().count()
        + offline.filter(student_id="").count()
    )
    return voters.count() + offline_people


def daily_valid_votes(*, campaign_id: int) -> list[tuple[date, int]]:
    rows = (
        Vote.objects.filter(campaign_id=campaign_id, status=Vote.Status.VALID)
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    return [(row["day"], row["n"]) for row in rows]


def new_users(
    *,
    campaign_id: int,
    start: datetime,
    end: datetime,
    credit_ambassador_ids: Collection[int] | None = None,
) -> QuerySet[Voter]:
    """Voters first verified in [start, end) and attributed to the campaign, without
    staff, ambassadors, and voters whose every vote was invalidated as fraud.

    Annotated with ``first_day`` (local date of verification), ``active_d{n}`` and
    ``credited_ambassador``: the referring ambassador when they are one of
    ``credit_ambassador_ids`` (the campaign's school's), else None; None given, every
    referring ambassador is credited.
    """
    voter_votes = Vote.objects.filter(voter_id=OuterRef("pk"))
    staff_phones = StaffPhone.objects.values("phone")
    ambassador_phones = Ambassador.objects.exclude(phone="").values("phone")
    users = (
        Voter.objects.filter(
            attributed_campaign_id=campaign_id, verified_at__gte=start, verified_at__lt=end
        )
        .exclude(phone__in=staff_phones)
        .exclude(phone__in=ambassador_phones)
        .exclude(
            Exists(voter_votes.filter(status=Vote.Status.INVALIDATED))
            & ~Exists(voter_votes.filter(status=Vote.Status.VALID))
        )
        .annotate(
            first_day=TruncDate("verified_at", tzinfo=local_tz()),
            credited_ambassador=(
                F("attributed_ambassador_id")
                if credit_ambassador_ids is None
                else Case(
                    When(
                        attributed_ambassador_id__in=list(credit_ambassador_ids),
                        then=F("attributed_ambassador_id"),
                    ),
                    default=None,
                    output_field=IntegerField(),
                )
            ),
        )
    )
    return users.annotate(
        **{
            f"active_d{n}": Exists(
                Activity.objects.filter(
                    phone=OuterRef("phone"), day=AddDays(OuterRef("first_day"), n)
                )
            )
            for n in RETENTION_DAYS
        }
    )


def activity_seen(users: QuerySet[Voter]) -> bool:
    """Whether any app activity was ever received for these users (any day, any kind):
    without any, retention is a missing feed, not a fact."""
    return Activity.objects.filter(phone__in=users.order_by().values("phone")).exists()


def latest_verification(users: QuerySet[Voter]) -> datetime | None:
    """When the newest of these users was verified. Over their ids: aggregating the
    annotated queryset itself would run its activity lookups once more."""
    return Voter.objects.filter(pk__in=users.order_by().values("pk")).aggregate(
        last=Max("verified_at")
    )["last"]


def _retention_aggregates(*, today: date) -> dict:
    """Count(...) expressions for the cohort and retained users of each day n.

    Day n of a user is over when first_day + n < today: a cohort only counts users old
    enough, so a young cohort reads as "not yet mature", never as zero retention.
    """
    aggregates = {"total": Count("id")}
    for n in RETENTION_DAYS:
        # first_day < today - n, said of the verification time (verified before the local
        # midnight that starts day today - n): the same users, without converting every
        # row's time to a local date once more per count.
        day_n_over = datetime.combine(today - timedelta(days=n), time.min, tzinfo=local_tz())
        old_enough = Q(verified_at__lt=day_n_over)
        aggregates[f"cohort_d{n}"] = Count("id", filter=old_enough)
        aggregates[f"retained_d{n}"] = Count("id", filter=old_enough & Q(**{f"active_d{n}": True}))
    return aggregates


def retention_grouped(users: QuerySet[Voter], fields: Sequence[str], *, today: date) -> dict:
    """Retention counts (cohort and retained users of each day n) for each combination of
    ``fields``, in one query.

    The activity lookups are the cost of a retention query (three per new user). A report
    that shows the same counts overall, per channel, per ambassador and per week runs them
    once, grouped by all three, and adds the groups up with ``retention_rollup``: every
    count is a number of distinct users and the groups are disjoint, so sums are exact.
    """
    rows = users.values(*fields).annotate(**_retention_aggregates(today=today)).order_by()
    return {tuple(row[field] for field in fields): _unpack(row) for row in rows}


def retention_sum(groups: Iterable[dict]) -> dict:
    """The counts of disjoint groups of users added up; zero counts for no group."""
    total = 0
    cohort = dict.fromkeys(RETENTION_DAYS, 0)
    retained = dict.fromkeys(RETENTION_DAYS, 0)
    for counts in groups:
        total += counts["total"]
        for n in RETENTION_DAYS:
            cohort[n] += counts[f"d{n}"].cohort
            retained[n] += counts[f"d{n}"].retained
    return {
        "total": total,
        **{f"d{n}": RetentionCount(cohort=cohort[n], retained=retained[n]) for n in RETENTION_DAYS},
    }


def retention_rollup(groups: dict, position: int) -> dict:
    """``retention_grouped`` counts added up by the field at ``position`` of the key."""
    parts = defaultdict(list)
    for key, counts in groups.items():
        parts[key[position]].append(counts)
    return {value: retention_sum(counts) for value, counts in parts.items()}


def _unpack(row: dict) -> dict:
    return {
        "total": row["total"] or 0,
        **{
            f"d{n}": RetentionCount(
                cohort=row[f"cohort_d{n}"] or 0, retained=row[f"retained_d{n}"] or 0
            )
            for n in RETENTION_DAYS
        },
    }
