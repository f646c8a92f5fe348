"""The post-campaign report: funnel, new users, retention, cost and the verdict.

One runner per report (PostHog's query runners): ``CampaignReportRunner(campaign).run()``
returns a ``CampaignReport`` whose ``as_json()`` has the contract keys of docs/metrics.md. Every
number comes from SQL aggregates in the selectors of the apps below.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_noop

from ambassadors.selectors import ambassador_names, labour_cost
from campaigns.models import Campaign, Pilot
from campaigns.selectors import (
    campaign_share_of_pilot,
    expenses_by_category,
    expenses_for_campaign,
    expenses_for_pilot,
    prize_cost_awarded,
)
from voting.models import Visit
from voting.selectors import metrics
from voting.selectors.contest import campaign_round_ids, leaderboard_latest

CENT = Decimal("0.01")
# New users are counted from the opening of entries until this long after voting closes.
ATTRIBUTION_TAIL = timedelta(days=7)

Progress = Callable[[int], None]
# The voter fields the report shows retention by; "week" is the Monday of the first day.
GROUPS = ("channel", "attributed_ambassador", "week")


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def rate(numerator: int, denominator: int) -> float | None:
    """A share from 0 to 1, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return round(min(1.0, numerator / denominator), 4)


def retention_json(counts: dict, total: int) -> dict:
    return {
        f"d{n}": {
            "cohort": counts[f"d{n}"].cohort,
            "retained": counts[f"d{n}"].retained,
            "rate": rate(counts[f"d{n}"].retained, counts[f"d{n}"].cohort),
            "mature": counts[f"d{n}"].cohort == total,
        }
        for n in metrics.RETENTION_DAYS
    }


@dataclass
class Verdict:
    decision: str  # replicate | improve | stop
    # Each reason as a message id with its parameters (``reason_messages`` in the stored
    # report), so the report page shows it in the reader's language; ``reasons`` are the
    # same sentences in English, for the JSON of ``campaign_report`` and the exports.
    messages: list[dict[str, Any]]
    numbers: dict[str, Any]

    @property
    def reasons(self) -> list[str]:
        return [m["msgid"] % m["params"] for m in self.messages]

    def as_data(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reasons": self.reasons,
            "reason_messages": self.messages,
            "numbers": self.numbers,
        }


def _reason(msgid: str, **params: Any) -> dict[str, Any]:
    return {"msgid": msgid, "params": params}


def decide(
    *,
    pilot: Pilot,
    new_users: int,
    cost_per_retained: Decimal | None,
    basis: str,
    d7_rate: float | None,
) -> Verdict:
    """replicate when both targets are met; stop when nothing retained or a target is
    missed by half or more; improve otherwise (including a missing target)."""
    target_cost = pilot.target_max_cost_per_retained_user
    target_d7 = pilot.target_min_d7_retention
    numbers = {
        "cost_per_retained_user": money(cost_per_retained),
        "cost_basis": basis,
        "target_max_cost_per_retained_user": money(target_cost),
        "d7_retention": d7_rate,
        "target_min_d7_retention": None if target_d7 is None else float(target_d7),
        "new_users": new_users,
    }
    reasons: list[dict[str, Any]] = []
    if new_users == 0:
        nobody = _reason(gettext_noop("The campaign brought no new users."))
        return Verdict("stop", [nobody], numbers)
    if cost_per_retained is None:
        nobody = _reason(gettext_noop("No new user was retained (%(basis)s)."), basis=basis)
        return Verdict("stop", [nobody], numbers)

    cost_ok = target_cost is not None and cost_per_retained <= target_cost
    if target_cost is None:
        reasons.append(_reason(gettext_noop("No cost target is set for the pilot.")))
    else:
        reasons.append(
            _reason(
                gettext_noop(
                    "Cost per retained user (%(basis)s) ¥%(cost)s %(compared)s target ¥%(target)s."
                ),
                basis=basis,
                cost=str(money(cost_per_retained)),
                compared="≤" if cost_ok else ">",
                target=str(money(target_cost)),
            )
        )
    d7_ok = target_d7 is not None and d7_rate is not None and d7_rate >= float(target_d7)
    if target_d7 is None:
        reasons.append(_reason(gettext_noop("No D7 retention target is set for the pilot.")))
    elif d7_rate is None:
        reasons.append(_reason(gettext_noop("D7 retention is not measurable yet.")))
    else:
        reasons.append(
            _reason(
                gettext_noop("D7 retention %(rate)s %(compared)s target %(target)s."),
                rate=f"{d7_rate:.1%}",
                compared="≥" if d7_ok else "<",
                target=f"{float(target_d7):.1%}",
            )
        )
    if cost_ok and d7_ok:
        return Verdict("replicate", reasons, numbers)
    far_too_costly = target_cost is not None and cost_per_retained > 2 * target_cost
    far_too_leaky = target_d7 is not None and d7_rate is not None and d7_rate < float(target_d7) / 2
    if far_too_costly or far_too_leaky:
        return Verdict("stop", reasons, numbers)
    return Verdict("improve", reasons, numbers)


@dataclass
class CampaignReport:
    campaign: Campaign
    generated_at: datetime
    period: tuple[datetime, datetime]
    unique_visitors: int
    participants: int
    share_visitors: int
    new_users: int
    new_users_by_channel: dict[str, int]
    share_signups: int
    retention: dict
    cost: dict
    verdict: Verdict
    by_channel: dict = field(default_factory=dict)
    by_ambassador: list = field(default_factory=list)
    daily_votes: list = field(default_factory=list)
    weekly_cohorts: list = field(default_factory=list)
    funnel: list = field(default_factory=list)
    participants_per_1000_students: float | None = None

    def as_json(self) -> dict[str, Any]:
        campaign = self.campaign
        return {
            "campaign": campaign.slug,
            "campaign_title": campaign.title,
            "pilot": campaign.pilot.name,
            "school": campaign.pilot.school.slug,
            "generated_at": self.generated_at.isoformat(),
            "period": {"start": self.period[0].isoformat(), "end": self.period[1].isoformat()},
            "unique_visitors": self.unique_visitors,
            "participants": self.participants,
            "participation_rate": rate(self.participants, self.unique_visitors),
            "share_visitors": self.share_visitors,
            "share_signups": self.share_signups,
            "share_conversion_rate": rate(self.share_signups, self.share_visitors),
            "new_users": self.new_users,
            "new_users_by_channel": self.new_users_by_channel,
            "retention": self.retention,
            "cost": self.cost,
            "verdict": self.verdict.as_data(),
            "by_channel": self.by_channel,
            "by_ambassador": self.by_ambassador,
            "daily_votes": self.daily_votes,
            "weekly_cohorts": self.weekly_cohorts,
            "funnel": self.funnel,
            "participants_per_1000_students": self.participants_per_1000_students,
        }


class CampaignReportRunner:
    """Computes the report of one campaign as of ``now`` (default: the current time)."""

    def __init__(self, campaign: Campaign, *, now: datetime | None = None) -> None:
        self.campaign = campaign
        self.now = now or timezone.now()
        self.today: date = timezone.localdate(self.now)
        self.start = campaign.submission_starts_at
        self.end = min(campaign.voting_ends_at + ATTRIBUTION_TAIL, self.now)

    def run(self, progress: Progress = lambda pct: None) -> CampaignReport:
        campaign = self.campaign
        # One pass over the new users and their activity: every view of retention below
        # (overall, per channel, per ambassador, per week) adds up these groups.
        users = metrics.new_users(campaign_id=campaign.pk, start=self.start, end=self.end).annotate(
            week=TruncWeek("first_day")
        )
        groups = metrics.retention_grouped(users, GROUPS, today=self.today)
        overall = metrics.retention_sum(groups.values())
        progress(30)
        channels = dict(sorted(metrics.retention_rollup(groups, GROUPS.index("channel")).items()))
        by_channel_counts = {
            c: channels.get(c, {}).get("total", 0) for c in ("share", "ambassador", "direct")
        }
        progress(50)
        unique_visitors = metrics.unique_visitors(campaign_id=campaign.pk)
        share_visitors = metrics.unique_visitors(
            campaign_id=campaign.pk, kind=Visit.Kind.SHARE_CLICK
        )
        participants = metrics.participant_count(campaign_id=campaign.pk)
        progress(70)
        retention = retention_json(overall, overall["total"])
        cost, cost_per_retained, basis = self._cost(overall)
        progress(85)
        verdict = decide(
            pilot=campaign.pilot,
            new_users=overall["total"],
            cost_per_retained=cost_per_retained,
            basis=basis,
            d7_rate=retention["d7"]["rate"],
        )
        population = campaign.pilot.school.student_population
        report = CampaignReport(
            campaign=campaign,
            generated_at=self.now,
            period=(self.start, self.end),
            unique_visitors=unique_visitors,
            participants=participants,
            share_visitors=share_visitors,
            new_users=overall["total"],
            new_users_by_channel=by_channel_counts,
            share_signups=by_channel_counts["share"],
            retention=retention,
            cost=cost,
            verdict=verdict,
            by_channel={
                c: {
                    "new_users": counts["total"],
                    "retention": retention_json(counts, counts["total"]),
                }
                for c, counts in channels.items()
            },
            by_ambassador=self._by_ambassador(groups),
            daily_votes=[
                {"day": day.isoformat(), "votes": n}
                for day, n in metrics.daily_valid_votes(campaign_id=campaign.pk)
            ],
            weekly_cohorts=self._weekly_cohorts(groups),
            funnel=[
                {"step": "visitors", "count": unique_visitors},
                {"step": "participants", "count": participants},
                {"step": "new_users", "count": overall["total"]},
                {"step": "d7_retained", "count": overall["d7"].retained},
                {"step": "d30_retained", "count": overall["d30"].retained},
            ],
            participants_per_1000_students=(
                round(participants * 1000 / population, 2) if population else None
            ),
        )
        progress(100)
        return report

    def _cost(self, overall: dict) -> tuple[dict, Decimal | None, str]:
        campaign = self.campaign
        prizes = prize_cost_awarded(
            campaign_id=campaign.pk, ranked_entries_by_round=self._ranked_entries_by_round()
        )
        expenses = expenses_for_campaign(campaign=campaign)
        labour = labour_cost(
            school_id=campaign.pilot.school_id,
            start=timezone.localdate(self.start),
            end=timezone.localdate(self.end),
            stipend_share=campaign_share_of_pilot(campaign=campaign),
        )
        total = prizes + expenses + labour
        # D30 retained users once every cohort has reached day 30; until then D7, saying so.
        basis = "d30" if overall["d30"].cohort == overall["total"] and overall["total"] else "d7"
        retained = overall[basis].retained
        cost_per_retained = total / retained if retained else None
        cost = {
            "prizes": money(prizes),
            "expenses": money(expenses),
            "labour": money(labour),
            "total": money(total),
            "expenses_by_category": {
                k: money(v) for k, v in expenses_by_category(campaign=campaign).items()
            },
            "cost_per_new_user": money(total / overall["total"]) if overall["total"] else None,
            "cost_per_retained_user": {
                "value": money(cost_per_retained),
                "basis": basis,
                "retained": retained,
                "mature": overall[basis].cohort == overall["total"],
            },
        }
        return cost, cost_per_retained, basis

    def _ranked_entries_by_round(self) -> dict[int, int]:
        """Entries with at least one vote in each round's final standing, or latest."""
        ranked = {}
        for round_id in campaign_round_ids(campaign_id=self.campaign.pk):
            snapshot = leaderboard_latest(round_id=round_id)
            standings = snapshot.standings if snapshot else []
            ranked[round_id] = sum(1 for row in standings if row["votes"] > 0)
        return ranked

    def _by_ambassador(self, groups: dict) -> list[dict]:
        """Ambassadors are credited with retained users, not raw sign-ups."""
        ambassadors = metrics.retention_rollup(groups, GROUPS.index("attributed_ambassador"))
        ambassadors.pop(None, None)  # users no ambassador brought
        names = ambassador_names(ids=list(ambassadors))
        rows = [
            {
                "ambassador_id": pk,
                "name": names.get(pk, ""),
                "new_users": counts["total"],
                "d7_retained": counts["d7"].retained,
                "d30_retained": counts["d30"].retained,
                "retention": retention_json(counts, counts["total"]),
            }
            for pk, counts in ambassadors.items()
        ]
        return sorted(rows, key=lambda r: (-r["d30_retained"], -r["d7_retained"], r["name"]))

    def _weekly_cohorts(self, groups: dict) -> list[dict]:
        weeks = metrics.retention_rollup(groups, GROUPS.index("week"))
        return [
            {
                "week": week.isoformat() if week else None,
                "new_users": counts["total"],
                "retention": retention_json(counts, counts["total"]),
            }
            for week, counts in sorted(weeks.items(), key=lambda item: item[0] or date.min)
        ]


class PilotReportRunner:
    """A pilot's report: its campaigns' reports added up, with the pilot's whole cost.

    New users are attributed to one campaign each, so they add up exactly; participants
    and visitors are per campaign (a student in two campaigns counts twice). Cost is
    every expense of the pilot, the awarded prizes of its campaigns, and labour over the
    pilot's dates (not the campaigns' shares, which could overlap).
    """

    def __init__(self, pilot: Pilot, *, now: datetime | None = None) -> None:
        self.pilot = pilot
        self.now = now or timezone.now()

    def run(self, progress: Progress = lambda pct: None) -> dict[str, Any]:
        pilot = self.pilot
        campaigns = list(pilot.campaigns.select_related("pilot__school").order_by("pk"))
        reports = []
        for n, campaign in enumerate(campaigns, start=1):
            reports.append(CampaignReportRunner(campaign, now=self.now).run().as_json())
            progress(int(90 * n / len(campaigns)))
        new_users = sum(r["new_users"] for r in reports)
        retention = {
            day: {
                "cohort": (cohort := sum(r["retention"][day]["cohort"] for r in reports)),
                "retained": (retained := sum(r["retention"][day]["retained"] for r in reports)),
                "rate": rate(retained, cohort),
                "mature": cohort == new_users,
            }
            for day in ("d1", "d7", "d30")
        }
        prizes = sum((Decimal(r["cost"]["prizes"]) for r in reports), Decimal(0))
        expenses = expenses_for_pilot(pilot_id=pilot.pk)
        labour = labour_cost(
            school_id=pilot.school_id,
            start=pilot.starts_on,
            end=pilot.ends_on,
            stipend_share=Decimal(1),
        )
        total = prizes + expenses + labour
        basis = "d30" if retention["d30"]["mature"] and new_users else "d7"
        retained = retention[basis]["retained"]
        cost_per_retained = total / retained if retained else None
        verdict = decide(
            pilot=pilot,
            new_users=new_users,
            cost_per_retained=cost_per_retained,
            basis=basis,
            d7_rate=retention["d7"]["rate"],
        )
        participants = sum(r["participants"] for r in reports)
        population = pilot.school.student_population
        progress(100)
        return {
            "pilot": pilot.pk,
            "pilot_name": pilot.name,
            "school": pilot.school.slug,
            "student_population": population,
            "generated_at": self.now.isoformat(),
            "campaigns": [r["campaign"] for r in reports],
            "unique_visitors": sum(r["unique_visitors"] for r in reports),
            "participants": participants,
            "participants_per_1000_students": (
                round(participants * 1000 / population, 2) if population else None
            ),
            "new_users": new_users,
            "new_users_by_channel": {
                channel: sum(r["new_users_by_channel"][channel] for r in reports)
                for channel in ("share", "ambassador", "direct")
            },
            "new_users_per_1000_students": (
                round(new_users * 1000 / population, 2) if population else None
            ),
            "retention": retention,
            "cost": {
                "prizes": money(prizes),
                "expenses": money(expenses),
                "labour": money(labour),
                "total": money(total),
                "cost_per_new_user": money(total / new_users) if new_users else None,
                "cost_per_retained_user": {
                    "value": money(cost_per_retained),
                    "basis": basis,
                    "retained": retained,
                    "mature": retention[basis]["mature"],
                },
            },
            "verdict": verdict.as_data(),
        }


def pilots_ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pilot reports side by side, cheapest retained user first (their sizes are already
    per 1,000 students, so schools of different size compare fairly). Pilots without a
    retained user, hence no cost per retained user, come last."""

    def key(row: dict[str, Any]) -> tuple[bool, Decimal]:
        value = row["cost"]["cost_per_retained_user"]["value"]
        return value is None, Decimal(value or 0)

    return sorted(rows, key=key)
