"""A hand-built campaign whose every report number was worked out by hand below."""

import json
from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from campaigns.models import Campaign, StaffPhone
from reports.models import Report
from reports.runner import CampaignReportRunner
from reports.services import report_generate
from tests.factories import (
    ActivityFactory,
    AmbassadorFactory,
    CampaignFactory,
    EntryFactory,
    ExpenseFactory,
    PilotFactory,
    PrizeFactory,
    SchoolFactory,
    VisitFactory,
    VoteFactory,
    VoterFactory,
    WorkLogFactory,
)
from voting.models import Visit, Vote
from voting.services.leaderboards import leaderboard_refresh_campaign
from voting.services.traffic import visit_record

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def local(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


NOW = local(2026, 10, 17, 10, 0)  # "today" is 2026-10-17 in Shanghai


@pytest.fixture
def scenario():
    school = SchoolFactory(student_population=10_000)
    pilot = PilotFactory(
        school=school,
        target_max_cost_per_retained_user=Decimal("1200.00"),
        target_min_d7_retention=Decimal("0.500"),
    )
    campaign = CampaignFactory(
        pilot=pilot,
        status=Campaign.Status.CLOSED,
        submission_starts_at=local(2026, 10, 1, 0),
        submission_ends_at=local(2026, 10, 8, 0),
        voting_starts_at=local(2026, 10, 3, 0),
        voting_ends_at=local(2026, 10, 14, 0),
    )
    sibling = CampaignFactory(pilot=pilot)  # the pilot's other campaign: half the pilot costs
    other_pilot_campaign = CampaignFactory()

    amb_a = AmbassadorFactory(school=school, hourly_rate=Decimal("25"), stipend=Decimal("400"))
    amb_b = AmbassadorFactory(school=school, hourly_rate=Decimal("30"), stipend=Decimal("0"))
    elsewhere = AmbassadorFactory(hourly_rate=Decimal("99"))

    def new_voter(phone: str, verified: datetime, channel: str = "direct", **kw):
        return VoterFactory(
            phone=phone,
            verified_at=verified,
            attributed_campaign=kw.pop("campaign", campaign),
            channel=channel,
            **kw,
        )

    # New users: 2 by share, 1 by ambassador A, 2 direct.
    u1 = new_voter("+8613700000001", local(2026, 10, 5, 10), "share")
    # 00:30 in Shanghai is the previous day in UTC: first day must be the local Oct 5.
    u2 = new_voter("+8613700000002", local(2026, 10, 5, 0, 30), "share")
    u3 = new_voter("+8613700000003", local(2026, 10, 8), "ambassador", attributed_ambassador=amb_a)
    u4 = new_voter("+8613700000004", local(2026, 10, 12))
    u5 = new_voter("+8613700000005", local(2026, 10, 16, 23, 30))
    # Never new users:
    staff = new_voter("+8613700000010", local(2026, 10, 5))
    StaffPhone.objects.create(phone=staff.phone, label="运营")
    new_voter(amb_a.phone, local(2026, 10, 6))  # an ambassador's own account
    fraud = new_voter("+8613700000011", local(2026, 10, 9), "share")
    new_voter("+8613700000012", local(2026, 9, 30))  # verified before entries opened
    new_voter("+8613700000013", local(2026, 10, 6), campaign=other_pilot_campaign)
    existing = new_voter("+8613700000014", local(2026, 3, 1), campaign=other_pilot_campaign)
    contestant = new_voter("+8613700000015", local(2026, 3, 1), campaign=other_pilot_campaign)

    e1 = EntryFactory(campaign=campaign, voter=u1, student_id="100")
    e2 = EntryFactory(campaign=campaign, voter=None, student_id="001")
    e3 = EntryFactory(campaign=campaign, voter=None, student_id="")
    e4 = EntryFactory(campaign=campaign, voter=contestant, student_id="200")

    def vote(voter, entry, when, **kw):
        return VoteFactory(voter=voter, entry=entry, cast_at=when, **kw)

    vote(u1, e1, local(2026, 10, 5, 11))
    vote(u1, e2, local(2026, 10, 5, 12), day_slot=2)
    vote(u2, e1, local(2026, 10, 5, 13))
    vote(u3, e2, local(2026, 10, 8, 11))
    vote(u4, e1, local(2026, 10, 12, 11))
    vote(existing, e4, local(2026, 10, 12, 12))
    vote(fraud, e1, local(2026, 10, 9, 11), status=Vote.Status.INVALIDATED, invalidated_at=NOW)
    assert e3.votes.count() == 0

    # Activity (local days). u1: d1 and d7; u2: d1; u3: d7; u4: d1; u5: only "today".
    for phone, day in [
        (u1.phone, date(2026, 10, 6)),
        (u1.phone, date(2026, 10, 12)),
        (u2.phone, date(2026, 10, 6)),
        (u3.phone, date(2026, 10, 15)),
        (u4.phone, date(2026, 10, 13)),
        (u5.phone, date(2026, 10, 17)),
        (staff.phone, date(2026, 10, 6)),
    ]:
        ActivityFactory(phone=phone, day=day)
    ActivityFactory(phone=u1.phone, day=date(2026, 10, 6), kind="login")  # same day, 2nd kind

    # Visitors: v1..v8 view the campaign; s1..s4 and v1 click share links.
    for i in range(1, 9):
        VisitFactory(campaign=campaign, visitor_id=f"v{i}")
    # A repeat view adds no row (one per first view), through the buffer or not.
    visit_record(visitor_id="v1", campaign_id=campaign.pk, at=NOW)
    for visitor in ["s1", "s2", "s3", "s4", "v1"]:
        VisitFactory(campaign=campaign, visitor_id=visitor, kind=Visit.Kind.SHARE_CLICK, entry=e1)
    VisitFactory(campaign=sibling, visitor_id="elsewhere")

    # Prizes: #1 ¥500; #2-3 two units of ¥100 each; #4-10 ¥10 (only 3 entries have votes).
    PrizeFactory(campaign=campaign, rank_from=1, rank_to=1, unit_cost=Decimal("500"))
    PrizeFactory(campaign=campaign, rank_from=2, rank_to=3, unit_cost=Decimal("100"), quantity=2)
    PrizeFactory(campaign=campaign, rank_from=4, rank_to=10, unit_cost=Decimal("10"))
    leaderboard_refresh_campaign(campaign_id=campaign.pk, final=True)

    ExpenseFactory(pilot=pilot, campaign=campaign, category="printing", amount=Decimal("300"))
    ExpenseFactory(pilot=pilot, campaign=campaign, category="advertising", amount=Decimal("200.50"))
    ExpenseFactory(pilot=pilot, campaign=None, category="venue", amount=Decimal("1000"))
    ExpenseFactory(pilot=pilot, campaign=sibling, category="printing", amount=Decimal("77"))
    ExpenseFactory(category="other", amount=Decimal("999"))  # another pilot

    WorkLogFactory(ambassador=amb_a, date=date(2026, 10, 5), hours=Decimal("4"), approved=True)
    WorkLogFactory(ambassador=amb_a, date=date(2026, 10, 6), hours=Decimal("2"), approved=False)
    WorkLogFactory(ambassador=amb_b, date=date(2026, 10, 9), hours=Decimal("3"), approved=True)
    WorkLogFactory(ambassador=amb_b, date=date(2026, 9, 20), hours=Decimal("5"), approved=True)
    WorkLogFactory(ambassador=elsewhere, date=date(2026, 10, 9), hours=Decimal("8"), approved=True)
    return campaign


def run(campaign) -> dict:
    return CampaignReportRunner(campaign, now=NOW).run().as_json()


def test_funnel_numbers(scenario):
    report = run(scenario)
    assert report["campaign"] == scenario.slug
    assert report["unique_visitors"] == 12  # v1..v8 + s1..s4
    # voters with a valid vote u1 u2 u3 u4 existing, contestant account, ids "001" and ""
    assert report["participants"] == 8
    assert report["participation_rate"] == pytest.approx(8 / 12, abs=1e-4)
    assert report["share_visitors"] == 5
    assert report["share_signups"] == 2
    assert report["share_conversion_rate"] == 0.4
    assert report["participants_per_1000_students"] == 0.8
    assert report["daily_votes"] == [
        {"day": "2026-10-05", "votes": 3},
        {"day": "2026-10-08", "votes": 1},
        {"day": "2026-10-12", "votes": 2},
    ]


def test_new_users_exclude_staff_ambassadors_fraud_and_other_periods(scenario):
    report = run(scenario)
    assert report["new_users"] == 5
    assert report["new_users_by_channel"] == {"share": 2, "ambassador": 1, "direct": 2}


def test_retention_with_immature_cohorts(scenario):
    retention = run(scenario)["retention"]
    # d1: first days before Oct 16 -> u1 u2 u3 u4; active on day 1: u1 u2 u4.
    assert retention["d1"] == {"cohort": 4, "retained": 3, "rate": 0.75, "mature": False}
    # d7: first days before Oct 10 -> u1 u2 u3; active on day 7: u1 u3.
    assert retention["d7"] == {"cohort": 3, "retained": 2, "rate": 0.6667, "mature": False}
    # d30: nobody is 30 days old yet: not mature, never "zero retention".
    assert retention["d30"] == {"cohort": 0, "retained": 0, "rate": None, "mature": False}


def test_costs(scenario):
    cost = run(scenario)["cost"]
    # prizes 500 + 2 ranks x 2 x 100 = 900; expenses 300 + 200.50 + 1000 / 2 campaigns;
    # labour 4h x 25 + 3h x 30 + stipend 400 / 2 campaigns.
    assert cost["prizes"] == "900.00"
    assert cost["expenses"] == "1000.50"
    assert cost["labour"] == "390.00"
    assert cost["total"] == "2290.50"
    assert cost["cost_per_new_user"] == "458.10"
    assert cost["cost_per_retained_user"]["value"] == "1145.25"  # 2290.50 / 2 D7-retained
    assert cost["cost_per_retained_user"]["basis"] == "d7"
    assert cost["expenses_by_category"] == {
        "advertising": "200.50",
        "printing": "300.00",
        "venue": "500.00",
    }


@pytest.mark.parametrize(
    ("target_cost", "decision"),
    [("1200.00", "replicate"), ("1000.00", "improve"), ("500.00", "stop")],
)
def test_verdict_follows_targets(scenario, target_cost, decision):
    pilot = scenario.pilot
    pilot.target_max_cost_per_retained_user = Decimal(target_cost)
    pilot.save()
    verdict = run(scenario)["verdict"]
    assert verdict["decision"] == decision
    assert verdict["numbers"]["cost_per_retained_user"] == "1145.25"
    assert verdict["numbers"]["target_max_cost_per_retained_user"] == target_cost
    assert any("1145.25" in reason for reason in verdict["reasons"])


def test_verdict_without_targets_is_improve(scenario):
    pilot = scenario.pilot
    pilot.target_max_cost_per_retained_user = None
    pilot.target_min_d7_retention = None
    pilot.save()
    verdict = run(scenario)["verdict"]
    assert verdict["decision"] == "improve"
    assert "No cost target is set for the pilot." in verdict["reasons"]


def test_ambassadors_are_credited_with_retained_users(scenario):
    (row,) = run(scenario)["by_ambassador"]
    assert (row["new_users"], row["d7_retained"], row["d30_retained"]) == (1, 1, 0)


def test_weekly_cohorts_and_funnel(scenario):
    report = run(scenario)
    weeks = {row["week"]: row["new_users"] for row in report["weekly_cohorts"]}
    # ISO weeks start on Monday: Oct 5 (u1 u2 u3 on Oct 5 and 8), Oct 12 (u4 u5).
    assert weeks == {"2026-10-05": 3, "2026-10-12": 2}
    assert [step["count"] for step in report["funnel"]] == [12, 8, 5, 2, 0]


def test_empty_campaign_has_null_rates_not_errors():
    report = CampaignReportRunner(CampaignFactory()).run().as_json()
    assert report["participation_rate"] is None
    assert report["share_conversion_rate"] is None
    assert report["retention"]["d7"]["rate"] is None
    assert report["cost"]["cost_per_new_user"] is None
    assert report["verdict"]["decision"] == "stop"


def test_report_generation_is_idempotent(scenario):
    report = Report.objects.create(campaign=scenario, pilot=scenario.pilot)
    first = report_generate(report_id=report.pk)
    again = report_generate(report_id=report.pk)
    assert first.status == again.status == Report.Status.DONE
    assert first.data == again.data
    assert Report.objects.count() == 1


def test_campaign_report_command_prints_contract_json(scenario):
    out = StringIO()
    call_command("campaign_report", scenario.slug, "--json", stdout=out)
    data = json.loads(out.getvalue())
    for key in [
        "campaign",
        "generated_at",
        "unique_visitors",
        "participants",
        "participation_rate",
        "share_visitors",
        "share_signups",
        "share_conversion_rate",
        "new_users",
        "new_users_by_channel",
        "retention",
        "cost",
        "verdict",
    ]:
        assert key in data
    assert set(data["cost"]) >= {
        "prizes",
        "expenses",
        "labour",
        "total",
        "cost_per_new_user",
        "cost_per_retained_user",
    }
    assert set(data["cost"]["cost_per_retained_user"]) >= {"value", "basis"}
    assert data["verdict"]["decision"] in {"replicate", "improve", "stop"}
    assert Report.objects.filter(campaign=scenario, status="done").count() == 1


def test_campaign_report_command_unknown_slug():
    with pytest.raises(CommandError, match="No campaign"):
        call_command("campaign_report", "nope", "--json")
