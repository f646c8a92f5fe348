"""The post-campaign report: funnel, new users, retention, cost and the verdict.

One runner per report (PostHog's query runners): ``CampaignReportRunner(campaign).run()``
returns a ``CampaignReport`` whose ``as_json()`` has the contract keys of docs/metrics.md. Every
number comes from SQL aggregates in the selectors of the apps below. The pilot's report
and the comparison are in ``reports.pilot``; the verdict in ``reports.verdict``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models.functions import TruncWeek
from django.utils import timezone

from ambassadors.models import Ambassador
from ambassadors.selectors import ambassador_names, labour_cost
from campaigns.models import Campaign
from campaigns.selectors import (
    campaign_share_of_pilot,
    expenses_by_category,
    expenses_for_campaign,
    expenses_pilot_mismatched,
    prize_cost_awarded,
)
from reports.data_checks import data_warnings
from reports.verdict import Verdict, decide, money, rate
from voting.models import Visit
from voting.selectors import metrics
from voting.selectors.awards import prize_cost_from_awards
from voting.selectors.contest import campaign_round_ids, leaderboard_latest
from voting.services.traffic import visits_flush

# New users are counted from the opening of entries until this long after voting closes.
ATTRIBUTION_TAIL = timedelta(days=7)
# The verdict rests on D30 once mature: the cohort is complete the day after every new
# user's day 30 is over (docs/metrics.md "Provisional verdicts").
FINAL_DAY = 30

Progress = Callable[[int], None]
# The voter fields the report shows retention by; "week" is the Monday of the first day.
GROUPS = ("channel", "credited_ambassador", "week")

__all__ = ["ATTRIBUTION_TAIL", "GROUPS", "CampaignReport", "CampaignReportRunner", "rate"]


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


@dataclass(frozen=True)
class Maturity:
    provisional: bool
    matures_on: date | None


def maturity(
    *, now: datetime, attribution_ends: datetime, last_verified: datetime | None, d30_complete: bool
) -> Maturity:
    """Whether the D30 figure can still move, and the day it stops moving.

    While new users may still arrive (before the attribution period ends) the last one
    could sign up on its final day; afterwards the last new user's first day counts.
    Day 30 of a user is over when first_day + 30 < today, so the cohort is complete on
    first_day + 31."""
    if now < attribution_ends:
        last_day = timezone.localdate(attribution_ends - timedelta(microseconds=1))
        return Maturity(True, last_day + timedelta(days=FINAL_DAY + 1))
    if last_verified is None:
        return Maturity(False, None)  # the period is over and nobody came: final
    matures_on = timezone.localdate(last_verified) + timedelta(days=FINAL_DAY + 1)
    return Maturity(not d30_complete, matures_on)


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
    data_warnings: list = field(default_factory=list)
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
            "data_warnings": self.data_warnings,
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
        self.attribution_ends = campaign.voting_ends_at + ATTRIBUTION_TAIL
        self.end = min(self.attribution_ends, self.now)

    def run(self, progress: Progress = lambda pct: None) -> CampaignReport:
        campaign = self.campaign
        # Visits wait in a buffer until voting.visits_flush writes them: write them now,
        # so the report counts every visitor seen so far (docs/caching.md).
        visits_flush()
        school_id = campaign.pilot.school_id
        # Referral credit stays within the school (docs/metrics.md "per ambassador").
        own_ambassadors = list(
            Ambassador.objects.filter(school_id=school_id).values_list("pk", flat=True)
        )
        # One pass over the new users and their activity: every view of retention below
        # (overall, per channel, per ambassador, per week) adds up these groups.
        users = metrics.new_users(
            campaign_id=campaign.pk,
            start=self.start,
            end=self.end,
            credit_ambassador_ids=own_ambassadors,
        ).annotate(week=TruncWeek("first_day"))
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
        ripe = maturity(
            now=self.now,
            attribution_ends=self.attribution_ends,
            last_verified=metrics.latest_verification(users) if overall["total"] else None,
            d30_complete=overall["d30"].cohort == overall["total"],
        )
        progress(85)
        verdict = decide(
            pilot=campaign.pilot,
            new_users=overall["total"],
            cost_per_retained=cost_per_retained,
            basis=basis,
            d7_rate=retention["d7"]["rate"],
            provisional=ripe.provisional,
            matures_on=ripe.matures_on,
            cohort=overall[basis].cohort,
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
            data_warnings=data_warnings(
                participants=participants,
                unique_visitors=unique_visitors,
                share_signups=by_channel_counts["share"],
                share_visitors=share_visitors,
                new_users=overall["total"],
                activity_seen=metrics.activity_seen(users) if overall["total"] else True,
                costs_recorded=Decimal(cost["total"]) > 0,
                expenses_other_pilot=expenses_pilot_mismatched(campaign=campaign),
            ),
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

    def _prizes(self) -> tuple[Decimal, dict[str, Any]]:
        """The prize cost by the awards once the campaign has them, else inferred from
        the standing (before the close), saying which."""
        awarded = prize_cost_from_awards(campaign_id=self.campaign.pk)
        if awarded is None:
            prizes = prize_cost_awarded(
                campaign_id=self.campaign.pk,
                ranked_entries_by_round=self._ranked_entries_by_round(),
            )
            return prizes, {"prizes_basis": "standing"}
        return awarded.value, {
            "prizes_basis": awarded.basis,
            "prizes_handed_out": awarded.handed_out,
            "prizes_awarded_pending": awarded.awarded,
            "prizes_pending": money(awarded.pending_value),
        }

    def _cost(self, overall: dict) -> tuple[dict, Decimal | None, str]:
        campaign = self.campaign
        pilot = campaign.pilot
        prizes, prize_details = self._prizes()
        expenses = expenses_for_campaign(campaign=campaign)
        share = campaign_share_of_pilot(campaign=campaign)
        labour = labour_cost(
            school_id=pilot.school_id,
            start=timezone.localdate(self.start),
            end=timezone.localdate(self.end),
            stipend_share=share,
            stipend_period=(pilot.starts_on, pilot.ends_on),
        )
        total = prizes + expenses + labour
        # D30 retained users once every cohort has reached day 30; until then D7, saying so.
        basis = "d30" if overall["d30"].cohort == overall["total"] and overall["total"] else "d7"
        retained = overall[basis].retained
        cost_per_retained = total / retained if retained else None
        cost = {
            "prizes": money(prizes),
            **prize_details,
            "expenses": money(expenses),
            "labour": money(labour),
            "total": money(total),
            "pilot_share": float(round(share, 4)),
            "expenses_by_category": {
                k: money(v) for k, v in expenses_by_category(campaign=campaign).items()
            },
            "cost_per_new_user": money(total / overall["total"]) if overall["total"] else None,
            "cost_per_retained_user": {
                "value": money(cost_per_retained),
                "basis": basis,
                "retained": retained,
                "cohort": overall[basis].cohort,
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
        """Ambassadors are credited with retained users, not raw sign-ups, and only on
        their own school's campaigns: sign-ups with another school's referral code are
        one row without a name ("uncredited")."""
        ambassadors = metrics.retention_rollup(groups, GROUPS.index("credited_ambassador"))
        ambassadors.pop(None, None)  # users no ambassador of this school brought
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
        rows.sort(key=lambda r: (-r["d30_retained"], -r["d7_retained"], r["name"]))
        uncredited = metrics.retention_sum(
            counts
            for (channel, credited, _week), counts in groups.items()
            if channel == "ambassador" and credited is None
        )
        if uncredited["total"]:
            rows.append(
                {
                    "ambassador_id": None,
                    "name": "",
                    "uncredited": True,
                    "new_users": uncredited["total"],
                    "d7_retained": uncredited["d7"].retained,
                    "d30_retained": uncredited["d30"].retained,
                    "retention": retention_json(uncredited, uncredited["total"]),
                }
            )
        return rows

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
