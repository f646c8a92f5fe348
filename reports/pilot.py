"""A pilot's report (its campaigns added up, with the pilot's whole cost) and the
comparison across pilots."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date

from ambassadors.selectors import labour_cost
from campaigns.models import Pilot
from campaigns.selectors import expenses_for_pilot
from reports.runner import CampaignReportRunner
from reports.verdict import decide, money, rate

Progress = Callable[[int], None]


class PilotReportRunner:
    """A pilot's report: its campaigns' reports added up, with the pilot's whole cost.

    New users are attributed to one campaign each, so they add up exactly; participants
    and visitors are per campaign (a student in two campaigns counts twice). Cost is
    every expense of the pilot, the prizes of its campaigns, and labour over the pilot's
    dates (not the campaigns' shares, which could overlap) with the stipends of the
    ambassadors active in them. The verdict is provisional while any campaign's is.
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
        provisional = [r for r in reports if r["verdict"]["provisional"]]
        matures = [parse_date(r["verdict"]["matures_on"]) for r in provisional]
        verdict = decide(
            pilot=pilot,
            new_users=new_users,
            cost_per_retained=cost_per_retained,
            basis=basis,
            d7_rate=retention["d7"]["rate"],
            provisional=bool(provisional),
            matures_on=max((d for d in matures if d), default=None),
            cohort=retention[basis]["cohort"],
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
                    "cohort": retention[basis]["cohort"],
                    "mature": retention[basis]["mature"],
                },
            },
            "verdict": verdict.as_data(),
            # Each campaign's warnings, naming the campaign.
            "data_warnings": [
                {**item, "campaign": r["campaign"]} for r in reports for item in r["data_warnings"]
            ],
        }


def _provisional(row: dict[str, Any]) -> bool:
    return bool(row.get("verdict", {}).get("provisional"))


def pilots_ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pilot reports side by side, cheapest retained user first (their sizes are already
    per 1,000 students, so schools of different size compare fairly). Mature figures rank
    apart from provisional ones, which follow: an immature D7 figure is not comparable
    with a mature D30 one. Within each, pilots without a cost per retained user come last."""

    def key(row: dict[str, Any]) -> tuple[bool, bool, Decimal]:
        value = row["cost"]["cost_per_retained_user"]["value"]
        return _provisional(row), value is None, Decimal(value or 0)

    return sorted(rows, key=key)


def pilots_compared(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``pilots_ranked`` in its two groups: final figures, and provisional ones."""
    ranked = pilots_ranked(rows)
    return {
        "final": [row for row in ranked if not _provisional(row)],
        "provisional": [row for row in ranked if _provisional(row)],
    }
